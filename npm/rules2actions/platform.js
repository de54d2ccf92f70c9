"use strict";
// Which prebuilt binary fits a machine. The one place that names the platform packages: the
// launcher uses it to find the binary, npm/stage.js to build the packages. The platforms that
// exist, and the Rust target and CI runner that build each, are listed in platforms.json.

const path = require("node:path");

const SCOPE = "@rules2actions";
const PLATFORMS = require("./platforms.json");

/** `@rules2actions/cli-<os>-<cpu>[-musl]`, with Node's names for the OS and CPU. */
function packageName({ os, cpu, libc }) {
  return `${SCOPE}/cli-${os}-${cpu}${libc === "musl" ? "-musl" : ""}`;
}

/** The binary's file name inside its platform package's `bin/`. */
function binaryName(os) {
  return os === "win32" ? "rules2actions.exe" : "rules2actions";
}

/** This Node process's platform, in the terms of platforms.json. */
function currentPlatform() {
  const os = process.platform;
  const host = { os, cpu: process.arch };
  if (os === "linux") host.libc = linuxLibc();
  return host;
}

/** A glibc Node reports the glibc it runs on; a musl Node (Alpine) does not. */
function linuxLibc() {
  const report = process.report;
  if (!report || typeof report.getReport !== "function") return "glibc";
  // The network part of the report can take seconds to gather on some hosts; it is not needed.
  if ("excludeNetwork" in report) report.excludeNetwork = true;
  return report.getReport().header.glibcVersionRuntime ? "glibc" : "musl";
}

/** Whether a platforms.json entry has the same OS, CPU and libc (Linux only) as `host`. */
function matches(entry, host) {
  return entry.os === host.os && entry.cpu === host.cpu && entry.libc === host.libc;
}

/**
 * The platform packages that can run on `host`, best first: its own, then on glibc Linux the
 * musl build of the same CPU (statically linked, it runs there too, should only that one be
 * installed, e.g. a node_modules copied from an Alpine container).
 */
function candidates(host) {
  const own = PLATFORMS.filter((entry) => matches(entry, host));
  const fallback =
    host.os === "linux" && host.libc === "glibc"
      ? PLATFORMS.filter((entry) => matches(entry, { ...host, libc: "musl" }))
      : [];
  return [...own, ...fallback];
}

/** The binary of an installed platform package, or undefined when it is not installed. */
function installedBinary(entry) {
  let manifest;
  try {
    manifest = require.resolve(`${packageName(entry)}/package.json`);
  } catch {
    return undefined;
  }
  return path.join(path.dirname(manifest), "bin", binaryName(entry.os));
}

module.exports = {
  PLATFORMS,
  packageName,
  binaryName,
  currentPlatform,
  candidates,
  installedBinary,
};
