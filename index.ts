import * as pulumi from "@pulumi/pulumi";
import { assertSafeTransitions, BrokerPlatform, loadLiveState, loadStackSettings, previousDeployment } from "./components";

export = async () => {
    // Everything is checked before any resource is registered: a bad stack config, an object in
    // the way that this stack did not make, or a change that is unsafe against what the
    // deployment records (kept with the data) say runs, stops the program with every problem
    // listed, and nothing is created or changed.
    const settings = loadStackSettings();
    const live = await loadLiveState(settings);
    assertSafeTransitions(settings, previousDeployment(live), pulumi.getProject());

    const platform = new BrokerPlatform("brokers", { settings, live });
    return {
        namespace: platform.namespace,
        clusters: platform.summary(),
    };
};
