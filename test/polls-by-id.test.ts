import { env } from "cloudflare:workers";
import { Chat, type Adapter, type ModalElement } from "chat";
import { describe, expect, it } from "vitest";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import type { iMessageEvent } from "../src/adapter/inbound/space-events.ts";
import { SECRET, signedRequest } from "./helpers.ts";
import { createMemoryState } from "./memory-state.ts";
import { silent, simulatorHostPort } from "./outbound-helpers.ts";

interface WirePoll {
  pollMessageGuid: string;
  options: { text: string; optionIdentifier: string }[];
}

async function simulator(path: string, body?: unknown): Promise<WirePoll> {
  const response = await fetch(`${env.SIMULATOR_URL}${path}`, {
    method: body ? "POST" : "GET",
    headers: { authorization: "Bearer sim_api_key", "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return ((await response.json()) as { poll: WirePoll }).poll;
}

const modal = (callbackId: string, title: string): ModalElement => ({
  type: "modal",
  callbackId,
  title,
  children: [{ type: "select", id: "food", label: "Food", options: [{ label: "Pizza", value: "pz" }, { label: "Sushi", value: "su" }] }],
});

/** A bot in a DM of its own, recording modal submits and raw events. */
async function bot() {
  const adapter = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", webhookSecret: SECRET, logger: silent });
  const chat = new Chat({ userName: "bot", adapters: { imessage: adapter as Adapter }, state: createMemoryState(), logger: "silent" });
  const submits: unknown[][] = [];
  const events: iMessageEvent[] = [];
  chat.onModalSubmit((event) => void submits.push([event.callbackId, event.viewId, event.values, event.relatedThread?.id]));
  adapter.onEvent((event) => void events.push(event));
  await chat.initialize();
  const address = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
  const threadId = await adapter.openDM(address);
  const vote = async (fields: { id?: string; pollTitle?: string; optionTitle?: string; selected?: boolean }) => {
    const body = JSON.stringify({
      event: "messages",
      message: {
        id: fields.id ?? `vote-${crypto.randomUUID()}`,
        platform: "imessage",
        direction: "inbound",
        timestamp: new Date().toISOString(),
        sender: { id: address },
        space: { id: `any;-;${address}`, platform: "imessage", type: "dm", phone: "shared" },
        content: {
          type: "poll_option",
          selected: fields.selected ?? true,
          option: fields.optionTitle === undefined ? {} : { title: fields.optionTitle },
          poll: { title: fields.pollTitle ?? "", options: [] },
        },
      },
    });
    expect((await adapter.handleWebhook(await signedRequest(body))).status).toBe(200);
  };
  return { adapter, threadId, address, submits, events, vote };
}

/** A vote id as spectrum-ts builds it: `<poll guid>:<voter>:<option id>:<selected|deselected>:<ms>`. */
const voteId = (pollGuid: string, voter: string, optionId: string, action = "selected") => `${pollGuid}:${voter}:${optionId}:${action}:${Date.now()}`;

describe("poll votes matched by the poll's id", () => {
  it("two polls with one title in a chat: a vote naming its poll reaches that poll's modal; a title-only vote the newest", async () => {
    const { adapter, threadId, address, submits, vote } = await bot();
    const first = await adapter.openModal(threadId, modal("first", "Lunch?"));
    const second = await adapter.openModal(threadId, modal("second", "Lunch?"));
    const firstPoll = await simulator(`/v1/polls/${first.viewId}`);
    const sushi = firstPoll.options.find((o) => o.text === "Sushi")?.optionIdentifier ?? "";
    await vote({ id: voteId(first.viewId, address, sushi), pollTitle: "Lunch?", optionTitle: "Sushi" });
    await vote({ id: voteId(second.viewId, address, "any"), pollTitle: "Lunch?", optionTitle: "Pizza" });
    await vote({ pollTitle: "Lunch?", optionTitle: "Pizza" });
    expect(submits).toEqual([
      ["first", first.viewId, { food: "su" }, threadId],
      ["second", second.viewId, { food: "pz" }, threadId],
      ["second", second.viewId, { food: "pz" }, threadId],
    ]);
  });

  it("a vote naming only the option's id resolves it; an option added later resolves to its label", async () => {
    const { adapter, threadId, address, submits, vote } = await bot();
    const { viewId } = await adapter.openModal(threadId, modal("lunch", "Where?"));
    const poll = await simulator(`/v1/polls/${viewId}`);
    const pizza = poll.options.find((o) => o.text === "Pizza")?.optionIdentifier ?? "";
    await vote({ id: voteId(viewId, address, pizza) });
    const added = await simulator("/v1/polls:addOption", { pollMessageGuid: viewId, optionText: "Tacos" });
    const tacos = added.options.find((o) => o.text === "Tacos")?.optionIdentifier ?? "";
    await vote({ id: voteId(viewId, address, tacos) });
    await vote({ pollTitle: "Where?", optionTitle: "Tacos" });
    expect(submits.map((s) => s[2])).toEqual([{ food: "pz" }, { food: "Tacos" }, { food: "Tacos" }]);
  });

  it("an unvote (selected: false) is reported to onEvent as pollUnvote with the modal, and runs no submit", async () => {
    const { adapter, threadId, address, submits, events, vote } = await bot();
    const { viewId } = await adapter.openModal(threadId, modal("lunch", "When?"));
    await vote({ id: voteId(viewId, address, "x", "deselected"), pollTitle: "When?", optionTitle: "Sushi", selected: false });
    await vote({ pollTitle: "Somebody else's poll", optionTitle: "Yes", selected: false });
    expect(submits).toEqual([]);
    expect(events).toMatchObject([
      {
        type: "pollUnvote",
        threadId,
        pollId: viewId,
        pollTitle: "When?",
        optionTitle: "Sushi",
        user: { userId: address },
        modal: { callbackId: "lunch", viewId, selectId: "food", value: "su" },
      },
      { type: "pollUnvote", pollTitle: "Somebody else's poll", optionTitle: "Yes", modal: undefined },
    ]);
  });

  it("a vote naming a poll this bot did not open, by id or title, runs nothing", async () => {
    const { address, submits, vote } = await bot();
    await vote({ id: voteId("FOREIGN-POLL", address, "opt"), pollTitle: "Not ours", optionTitle: "Yes" });
    expect(submits).toEqual([]);
  });
});
