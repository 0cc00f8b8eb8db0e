// The CrossGuard policy pack: run with `pulumi preview --policy-pack policies`.
// This module only builds the pack (constructing a PolicyPack starts its gRPC server); the
// policies themselves live in ./crossguard and ./rules.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./crossguard";

new PolicyPack("broker-policies", { policies });
