// Rooms and broadcasts across the workers of one host.
export { AdapterBus, BatchedClusterAdapter, createBatchedClusterAdapter } from "./batched-cluster-adapter.js";
export { setupAdapterHub } from "./primary-hub.js";
