import * as pulumi from "@pulumi/pulumi";
import { assertSafeTransitions, BrokerPlatform, loadStackSettings, readPreviousDeployment } from "./components";

export = async () => {
    // Validation happens before any resource is registered: a bad stack config, or a change that
    // is unsafe against the clusters this stack already runs, stops the program with every
    // problem listed, and nothing is created or changed.
    const settings = loadStackSettings();
    const previous = await readPreviousDeployment();
    assertSafeTransitions(settings, previous, pulumi.getProject());

    const platform = new BrokerPlatform("brokers", { settings, previous });
    return {
        namespace: platform.namespace,
        clusters: platform.summary(),
    };
};
