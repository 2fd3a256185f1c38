/**
 * The load scripts `kscript rules compile` and `kscript dns compile` print: `kscript rcu set` commands whose
 * pairs are written in order by one process each — a zone of thousands of names loads in a few commands, not
 * one process per entry. Commands are split to stay far below the kernel's limit on a command line's size.
 */

/** Bytes of pairs per command: well under ARG_MAX (2 MiB on Linux, environment included). */
const COMMAND_BYTES = 64 * 1024;

/**
 * `comments` (each already starting with `#`), then `command` (such as `kscript rcu set --hex dns`) with the
 * pairs, one per line; each word is written as given (shell quoting is the caller's).
 */
export function rcuSetScript(comments: readonly string[], command: string, pairs: readonly (readonly [string, string])[]): string {
  const commands: string[][] = [];
  let size = COMMAND_BYTES;
  for (const [key, value] of pairs) {
    const line = `  ${key} ${value}`;
    if (size + line.length > COMMAND_BYTES) {
      commands.push([]);
      size = 0;
    }
    commands[commands.length - 1].push(line);
    size += line.length + 3;
  }
  return [...comments, ...commands.map((lines) => `${command} \\\n${lines.join(" \\\n")}`)].join("\n") + "\n";
}
