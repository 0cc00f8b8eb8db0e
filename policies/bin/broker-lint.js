#!/usr/bin/env node
// placeholder replaced by the policy work
