#!/usr/bin/env node
"use strict";
// `npx rules2actions …`: runs the prebuilt binary of the platform package that npm installed
// for this machine (an optionalDependency of this package), with the same arguments, standard
// streams, exit code and signals.

const { spawn } = require("node:child_process");
const { constants } = require("node:os");
const platform = require("../platform.js");

// The tool's own exit code for "the tool failed".
const TOOL_FAILED = 2;
const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

function fail(message) {
  process.stderr.write(`rules2actions: ${message}\n`);
  process.exit(TOOL_FAILED);
}

function describe(host) {
  return [host.os, host.cpu, host.libc].filter(Boolean).join(" ");
}

/** The binary to run, or a message saying why there is none. */
function findBinary() {
  const host = platform.currentPlatform();
  const fitting = platform.candidates(host);
  if (fitting.length === 0) {
    return {
      error:
        `no prebuilt binary for this platform (${describe(host)}). ` +
        "Build it from source with Rust: cargo install --locked rules2actions",
    };
  }
  for (const entry of fitting) {
    const binary = platform.installedBinary(entry);
    if (binary) return { binary };
  }
  return {
    error:
      `the package ${platform.packageName(fitting[0])} is not installed. npm installs it ` +
      "with rules2actions unless optional dependencies are omitted (--omit=optional, " +
      "--no-optional) or node_modules was copied from another platform: reinstall rules2actions.",
  };
}

function run(binary, args) {
  const child = spawn(binary, args, { stdio: "inherit" });
  // A signal sent to this launcher alone (kill PID, a CI timeout) reaches the binary too.
  const forward = (signal) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);

  child.on("error", (error) => fail(`cannot run ${binary}: ${error.message}`));
  child.on("exit", (code, signal) => {
    for (const name of FORWARDED_SIGNALS) process.removeListener(name, forward);
    if (signal) {
      // Die of the same signal, so that the caller sees what the binary saw; a signal that
      // Node ignores (SIGPIPE) gives the shell's code for it instead.
      process.kill(process.pid, signal);
      process.exit(128 + (constants.signals[signal] || 0));
    }
    process.exit(code);
  });
}

const found = findBinary();
if (found.error) fail(found.error);
run(found.binary, process.argv.slice(2));
