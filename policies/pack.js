// Entry point of the policy pack (`pulumi preview --policy-pack policies`): the compiled pack, or
// its TypeScript sources while the build is missing or stale (see ./bin/compiled.js).
"use strict";
require("./bin/compiled").load("index");
