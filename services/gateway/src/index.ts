export { type GatewayConfig, gatewayConfigSchema, loadGatewayConfig } from "./config.js";
export { type BridgeDecision, type BridgeInput, decide } from "./core/bridge.js";
export { gatewayService } from "./description.js";
export { type Gateway, type GatewayDeps, type GatewaySettings, startGateway } from "./service.js";
