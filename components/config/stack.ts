import * as pulumi from "@pulumi/pulumi";
import { parseSettings, rawProjectConfig } from "./load";
import { PlatformSettings } from "./schema";

/**
 * Reads and validates the current stack's config. Throws `ConfigError` (listing every problem)
 * before the program registers a single resource.
 */
export function loadStackSettings(project: string = pulumi.getProject()): PlatformSettings {
    return parseSettings(rawProjectConfig(pulumi.runtime.allConfig(), project), project);
}
