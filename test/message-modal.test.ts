/**
 * The adapter's documented snippets: `message.openModal(Modal(...))` in a handler opens a native poll
 * whose votes reach `onModalSubmit`, and the bot's name is the Chat's `userName` unless configured.
 */
import { env } from "cloudflare:workers";
import { Chat, Message, Modal, Select, SelectOption } from "chat";
import { describe, expect, it } from "vitest";
import { createMemoryLedger } from "../src/ledger/ledger.ts";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import { createDurableObjectState } from "../src/state/durable-state.ts";
import { fixture, inOwnDm, seedInbound, signedRequest, withFreshId } from "./helpers.ts";
import { simulatorClient } from "./simulator/client.ts";

const SIMULATOR_URL = (env as unknown as { SIMULATOR_URL: string }).SIMULATOR_URL;
const sim = simulatorClient(SIMULATOR_URL);

/** A bot written the documented way; `heard` records what its handlers saw. */
function documentedBot(options: { chatUserName: string; userName?: string; envUserName?: string }) {
  const imessage = createiMessageAdapter({
    env: { ...(env as unknown as Record<string, unknown>), ...(options.envUserName ? { IMESSAGE_USER_NAME: options.envUserName } : {}) },
    ...(options.userName ? { userName: options.userName } : {}),
    // Handlers recorded in this isolate: the in-process ledger, not the env's DELIVERY_LEDGER (which runs the demo bot).
    ledger: createMemoryLedger(),
  });
  const bot = new Chat({
    userName: options.chatUserName,
    adapters: { imessage },
    state: createDurableObjectState(env.CHAT_STATE),
    logger: "silent",
  });
  const heard: string[] = [];
  bot.onNewMention(async (thread, message) => {
    heard.push(`mention ${message.text}`);
    if (/poll/.test(message.text)) {
      await message.openModal(
        Modal({
          callbackId: "fav-color",
          title: message.text,
          children: [
            Select({
              id: "color",
              label: "Pick a color",
              options: [SelectOption({ label: "Red", value: "red" }), SelectOption({ label: "Blue", value: "blue" })],
            }),
          ],
        }),
      );
      return;
    }
    await thread.post(`hi from ${imessage.userName}`);
  });
  bot.onModalSubmit("fav-color", async (event) => {
    heard.push(`vote ${event.values.color} in ${event.relatedThread?.id}`);
  });
  const deliver = async (body: string) => {
    const tasks: Promise<unknown>[] = [];
    const response = await bot.webhooks.imessage(await signedRequest(body), { waitUntil: (task) => void tasks.push(task) });
    await Promise.all(tasks);
    expect(response.status).toBe(200);
  };
  return { bot, imessage, heard, deliver };
}

function groupMessage(text: string): string {
  const json = JSON.parse(withFreshId(fixture("group-text")));
  json.message.content = { type: "text", text };
  return JSON.stringify(json);
}

describe("the bot's name", () => {
  it("is the Chat's userName when neither userName nor IMESSAGE_USER_NAME is set: `@<name> hi` in a group reaches onNewMention", async () => {
    const { imessage, heard, deliver } = documentedBot({ chatUserName: "mybot" });
    await deliver(groupMessage("@bot hi"));
    expect(heard).toEqual([]);
    await deliver(groupMessage("@mybot hi"));
    expect(heard).toEqual(["mention @mybot hi"]);
    expect(imessage.userName).toBe("mybot");
  });

  it("createiMessageAdapter({ env }) takes a Worker's Env interface as it is (no cast) and reads its strings", () => {
    interface WorkerEnv {
      IMESSAGE_PROJECT_ID: string;
      IMESSAGE_PROJECT_SECRET: string;
      IMESSAGE_USER_NAME: string;
      CHAT_STATE: DurableObjectNamespace;
    }
    const workerEnv: WorkerEnv = { IMESSAGE_PROJECT_ID: "p", IMESSAGE_PROJECT_SECRET: "s", IMESSAGE_USER_NAME: "envbot", CHAT_STATE: env.CHAT_STATE };
    const imessage = createiMessageAdapter({ env: workerEnv, ledger: createMemoryLedger() });
    expect(imessage.config).toMatchObject({ mode: "cloud", projectId: "p", userName: "envbot" });
  });

  it("userName and IMESSAGE_USER_NAME still name the bot when set", async () => {
    const byOption = documentedBot({ chatUserName: "mybot", userName: "optbot" });
    await byOption.deliver(groupMessage("@optbot hi"));
    expect(byOption.heard).toEqual(["mention @optbot hi"]);

    const byEnv = documentedBot({ chatUserName: "mybot", envUserName: "envbot" });
    await byEnv.deliver(groupMessage("@mybot hi"));
    await byEnv.deliver(groupMessage("@envbot hi"));
    expect(byEnv.heard).toEqual(["mention @envbot hi"]);
  });
});

describe("message.openModal", () => {
  it("opens a native poll (question = title, choices = option labels) whose vote reaches onModalSubmit", async () => {
    const { heard, deliver } = documentedBot({ chatUserName: "mybot" });
    const title = `poll ${crypto.randomUUID().slice(0, 8)}`;
    const dm = inOwnDm("dm-text", { type: "text", text: title });
    await seedInbound(SIMULATOR_URL, dm.body); // the server knows the DM the poll is opened in
    const since = await sim.mark();
    await deliver(dm.body);

    const polls = await sim.requests({ path: "/v1/polls", since });
    expect(polls.map((p) => p.body)).toEqual([expect.objectContaining({ chatGuid: dm.chatGuid, title, options: ["Red", "Blue"] })]);

    const vote = JSON.parse(withFreshId(dm.body));
    vote.message.content = { type: "poll_option", selected: true, option: { title: "Blue" }, poll: { title, options: [] } };
    await deliver(JSON.stringify(vote));
    expect(heard).toEqual([`mention ${title}`, `vote blue in imessage:${dm.chatGuid}`]);
  });

  it("is not added to messages of other adapters (chat's Message is untouched)", () => {
    const message = new Message({
      id: "m1",
      threadId: "slack:C1:1",
      text: "hi",
      formatted: { type: "root", children: [] },
      raw: {},
      author: { userId: "u", userName: "u", fullName: "u", isBot: false, isMe: false },
      metadata: { dateSent: new Date(), edited: false },
      attachments: [],
    });
    expect("openModal" in message).toBe(false);
    expect(JSON.stringify(message.toJSON())).not.toContain("openModal");
  });

  it("takes a JSX <Modal> as well as a Modal element", async () => {
    const { jsx } = await import("chat/jsx-runtime");
    const { modalElementOf } = await import("../src/adapter/inbound/message-modal.ts");
    const options = [jsx(SelectOption, { label: "Red", value: "red" }), jsx(SelectOption, { label: "Blue", value: "blue" })];
    const element = jsx(Modal, { callbackId: "fav-color", title: "Color?", children: jsx(Select, { id: "color", label: "Pick", children: options }) } as never);
    expect(modalElementOf(element as never)).toMatchObject({
      type: "modal",
      callbackId: "fav-color",
      title: "Color?",
      children: [{ type: "select", id: "color", options: [{ label: "Red", value: "red" }, { label: "Blue", value: "blue" }] }],
    });
  });

  it("rejects something that is not a Modal with a clear error", async () => {
    const { withOpenModal } = await import("../src/adapter/inbound/message-modal.ts");
    const message = withOpenModal(
      new Message({
        id: "m2",
        threadId: "imessage:any;-;+15550000000",
        text: "x",
        formatted: { type: "root", children: [] },
        raw: {},
        author: { userId: "u", userName: "u", fullName: "u", isBot: false, isMe: false },
        metadata: { dateSent: new Date(), edited: false },
        attachments: [],
      }),
      async () => ({ viewId: "never" }),
    );
    await expect(message.openModal({ type: "card" } as never)).rejects.toThrow(/needs a Modal element/);
    expect(Object.keys(message)).not.toContain("openModal");
  });
});
