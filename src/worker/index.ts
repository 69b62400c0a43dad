import { DurableObject } from "cloudflare:workers";
export class DeliveryLedger extends DurableObject {}
export class ChatStateDO extends DurableObject {}
export class GatewayDO extends DurableObject {}
export default { async fetch() { return new Response("ok"); } } satisfies ExportedHandler;
