/**
 * @module Spectrum Cloud's project and iMessage token endpoints, and the registry of issued tokens.
 */
import { Hono } from "hono";
import type { SimProject, SimProjectUpdate, TokenIssuances } from "./types.ts";

/** Projects every simulator knows unless told otherwise. */
export const DEFAULT_PROJECTS: SimProject[] = [
  { id: "proj_test", secret: "secret_test", mode: "shared", instances: { inst_test_1: "+15550001111" }, expiresIn: 3600, name: "Test project" },
  { id: "proj_demo", secret: "secret_demo", mode: "shared", instances: { inst_demo_1: "+15550002222" }, expiresIn: 3600, name: "Demo project" },
];

/** What a bearer token grants. */
export interface TokenGrant {
  projectId: string;
  /** Set for dedicated tokens: the only instance (`x-photon-server`) the token works for. */
  instanceId?: string;
  expiresAt: number;
}

/** Projects, issued tokens and issuance counters. */
export class TokenRegistry {
  readonly projects = new Map<string, SimProject>();
  private readonly initial: SimProject[];
  private readonly tokens = new Map<string, TokenGrant>();
  private issuances: TokenIssuances["issuances"] = [];

  constructor(projects: SimProject[]) {
    this.initial = projects.map((p) => ({ ...p, instances: { ...p.instances } }));
    this.resetProjects();
  }

  private resetProjects(): void {
    this.projects.clear();
    for (const project of this.initial) this.projects.set(project.id, { ...project, instances: { ...project.instances } });
  }

  /** Creates or changes a project (e.g. switches it to dedicated mode). */
  update(update: SimProjectUpdate): SimProject {
    const current = this.projects.get(update.projectId) ?? {
      id: update.projectId,
      secret: update.secret ?? `secret_${update.projectId}`,
      mode: "shared" as const,
      instances: { [`inst_${update.projectId}_1`]: "+15550003333" },
      expiresIn: 3600,
    };
    const next: SimProject = {
      ...current,
      ...(update.secret !== undefined ? { secret: update.secret } : {}),
      ...(update.mode !== undefined ? { mode: update.mode } : {}),
      ...(update.instances !== undefined ? { instances: { ...update.instances } } : {}),
      ...(update.expiresIn !== undefined ? { expiresIn: update.expiresIn } : {}),
    };
    this.projects.set(next.id, next);
    return next;
  }

  /** Issues the token payload of `POST /projects/{id}/imessage/tokens` and remembers the tokens. */
  issue(project: SimProject): Record<string, unknown> {
    const now = Date.now();
    const expiresAt = now + project.expiresIn * 1000;
    this.issuances.push({ projectId: project.id, type: project.mode, at: now, expiresAt });
    if (project.mode === "shared") {
      const token = `sim_tok_${crypto.randomUUID()}`;
      this.tokens.set(token, { projectId: project.id, expiresAt });
      return { type: "shared", token, expiresIn: project.expiresIn };
    }
    const auth: Record<string, string> = {};
    for (const instanceId of Object.keys(project.instances)) {
      const token = `sim_tok_${instanceId}_${crypto.randomUUID()}`;
      this.tokens.set(token, { projectId: project.id, instanceId, expiresAt });
      auth[instanceId] = token;
    }
    return { type: "dedicated", auth, numbers: { ...project.instances }, expiresIn: project.expiresIn };
  }

  grant(token: string): TokenGrant | undefined {
    return this.tokens.get(token);
  }

  /** Expires issued tokens, all or one project's (the next iMessage call answers 401 `tokenExpired`). */
  expire(projectId?: string): number {
    let count = 0;
    for (const grant of this.tokens.values()) {
      if (projectId !== undefined && grant.projectId !== projectId) continue;
      grant.expiresAt = 0;
      count += 1;
    }
    return count;
  }

  /** Expires one issued token now; false when the simulator never issued it. */
  expireToken(token: string): boolean {
    const grant = this.tokens.get(token);
    if (grant) grant.expiresAt = 0;
    return grant !== undefined;
  }

  counts(): TokenIssuances {
    const byProject: Record<string, number> = {};
    for (const issuance of this.issuances) byProject[issuance.projectId] = (byProject[issuance.projectId] ?? 0) + 1;
    return { total: this.issuances.length, byProject, issuances: [...this.issuances] };
  }

  /** Clears counters and restores the configured projects; issued tokens stay valid (bots cache them). */
  reset(): void {
    this.issuances = [];
    this.resetProjects();
  }
}

function cloudError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ succeed: false, code, message }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function ok(data: unknown): Response {
  return new Response(JSON.stringify({ succeed: true, data }), { headers: { "content-type": "application/json" } });
}

/** The project named in the path, when the request carries its Basic credentials. */
function authenticate(registry: TokenRegistry, projectId: string, authorization: string | undefined): SimProject | Response {
  const project = registry.projects.get(projectId);
  if (!project) return cloudError(404, "PROJECT_NOT_FOUND", `project ${projectId} does not exist`);
  const expected = `Basic ${btoa(`${project.id}:${project.secret}`)}`;
  if (authorization !== expected) {
    return cloudError(401, "UNAUTHORIZED", "invalid project credentials: send HTTP Basic projectId:projectSecret");
  }
  return project;
}

/** Routes of Spectrum Cloud (`/projects/...`). */
export function cloudRoutes(registry: TokenRegistry): Hono {
  const app = new Hono();
  app.get("/projects/:projectId/", (c) => {
    const project = authenticate(registry, c.req.param("projectId"), c.req.header("authorization"));
    if (project instanceof Response) return project;
    return ok({ id: project.id, name: project.name ?? project.id, platforms: ["imessage"], imessage: { mode: project.mode } });
  });
  app.get("/projects/:projectId/platforms/", (c) => {
    const project = registry.projects.get(c.req.param("projectId"));
    if (!project) return cloudError(404, "PROJECT_NOT_FOUND", `project ${c.req.param("projectId")} does not exist`);
    return ok({ imessage: { enabled: true } });
  });
  app.post("/projects/:projectId/imessage/tokens", (c) => {
    const project = authenticate(registry, c.req.param("projectId"), c.req.header("authorization"));
    if (project instanceof Response) return project;
    return ok(registry.issue(project));
  });
  return app;
}
