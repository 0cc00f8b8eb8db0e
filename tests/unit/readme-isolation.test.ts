import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { parseSettings } from "../../components";
import { REPO_ROOT } from "../support/render";
import { baseConfig, rabbit } from "../support/fixtures";

/** The first ```yaml block after `heading` in the README. */
function yamlAfter(heading: string): unknown {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const at = readme.indexOf(`\n${heading}\n`);
    expect(at, heading).to.be.greaterThan(0);
    const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at));
    expect(block, `a yaml example under ${heading}`).to.not.equal(null);
    return parse(block![1]);
}

describe("README: network isolation and monitoring examples", () => {
    it("the networkPolicy example is a valid cluster entry that restricts every port group", () => {
        const [cluster] = yamlAfter("### Network isolation") as any[];
        const s = parseSettings(baseConfig({ clusters: [cluster] }), "broker-platform");
        const np = s.clusters[0].networkPolicy!;
        expect(np.enabled).to.equal(true);
        for (const peers of [np.clientPeers, np.managementPeers, np.metricsPeers]) expect(peers).to.have.length.greaterThan(0);
    });

    it("the serviceMonitor example is valid", () => {
        const snippet = yamlAfter("### Monitoring") as any;
        const s = parseSettings(baseConfig({ clusters: [rabbit(snippet)] }), "broker-platform");
        expect(s.clusters[0].serviceMonitor).to.include({ enabled: true, interval: "15s" });
    });
});
