import { BrokerPlatform, loadStackSettings } from "./components";

// Validation happens here, before any resource is registered: a bad stack config stops the
// program with every problem listed, and nothing is created or changed.
const settings = loadStackSettings();

const platform = new BrokerPlatform("brokers", { settings });

export const namespace = platform.namespace;
export const clusters = platform.summary();
