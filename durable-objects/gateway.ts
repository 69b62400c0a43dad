/**
 * @module durable-objects/gateway
 * The gateway Durable Object (group-space cache, keepalive, relay WebSocket).
 */
import { DurableObject } from "cloudflare:workers";

export class GatewayDO extends DurableObject {}
