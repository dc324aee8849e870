// The `janus` subcommands; each takes the whole argv (argv[1] is its name) and returns the exit code.
#pragma once

namespace janus::cli {

int bench_command(int argc, char** argv);
int inspect_command(int argc, char** argv);
int eval_command(int argc, char** argv);
int dom_command(int argc, char** argv);
int screenshot_command(int argc, char** argv);

}  // namespace janus::cli
