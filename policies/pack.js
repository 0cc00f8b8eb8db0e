// Entry point of the policy pack (`pulumi preview --policy-pack policies`): the pack is
// TypeScript, loaded without type checking through the package's cached transpiler.
"use strict";
require("./bin/transpile").register({ replace: true });
require("./index.ts");
