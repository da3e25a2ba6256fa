"""The fish completion script: one function that prints every candidate with its description."""

from __future__ import annotations

from restate_cli.completion.generate import Node, fish_quote, switches
from restate_cli.completion.values import Source

HEADER = """\
# fish completion for restate-cli
# Generated from the command tree by `restate-cli completions generate fish`: regenerate, do not edit.
# Enable: `restate-cli completions install fish`, or copy this file to
# ~/.config/fish/completions/restate-cli.fish.
"""

WALKER = r"""
# Look up $argv[1] among the "key:value" words that follow; print the value.
function __restate_cli_lookup
    for e in $argv[2..-1]
        if test "x"(string replace -r ':[^:]*$' '' -- $e) = "x$argv[1]"
            string replace -r '.*:' '' -- $e
            return 0
        end
    end
    return 1
end

# The subcommand that word $argv[1] names in the current node: a command, an alias, a
# hidden alias, or an unambiguous prefix of any of them. Prints the command's name.
function __restate_cli_resolve
    set -l w $argv[1]
    set -l names (string replace -r ':.*' '' -- $__rc_cmds)
    if contains -- $w $names
        echo $w
        return 0
    end
    __restate_cli_lookup $w $__rc_aliases $__rc_hidden; and return 0
    set -l found
    for e in $names $__rc_aliases $__rc_hidden
        set -l name (string replace -r ':.*' '' -- $e)
        string match -q -- "$w*" $name; or continue
        set -l target (string replace -r '.*:' '' -- $e)
        if test -n "$found"; and test "$found" != "$target"
            return 1
        end
        set found $target
    end
    test -n "$found"; and echo $found
end

# The environments of the config file, and the built-in `local`.
function __restate_cli_environments
    set -l file $RESTATE_CLI_CONFIG
    if test -z "$file"
        set -l dir $RESTATE_CLI_CONFIG_HOME
        test -n "$dir"; or set dir $HOME/.config/restate
        set file $dir/config.toml
    end
    echo local
    test -r "$file"; or return 0
    string replace -rf '^\s*\[\s*"?([A-Za-z0-9_-]+)"?\s*\]\s*(#.*)?$' '$1' <$file \
        | string match -rv '^(default|global|local)$'
end

# Print the values of source $argv[1].
function __restate_cli_offer
    __restate_cli_source $argv[1]
    set -l head ''
    if test -n "$__rc_comma"; and string match -q -- '*,*' $__rc_cur
        set head (string replace -r '[^,]*$' '' -- $__rc_cur)
    end
    set -l found $__rc_values
    test -n "$__rc_envs"; and set -a found (__restate_cli_environments)
    for v in $found
        printf '%s\n' "$__rc_prefix$head$v"
    end
    if test -n "$__rc_files"
        __fish_complete_path $__rc_cur | string replace -r -- '^' "$__rc_prefix"
    end
    if test -n "$__rc_live"
        command $__rc_words[1] __complete $__rc_live $__rc_cur $__rc_words[2..-1] $__rc_after 2>/dev/null \
            | string replace -r -- '^' "$__rc_prefix"
    end
end

function __restate_cli_complete
    set -l words (commandline -opc)
    set -g __rc_cur (commandline -ct)
    set -g __rc_prefix ''
    set -l n (count $words)
    set -l all (commandline -o)
    set -l skip (math $n + 1)
    test -n "$__rc_cur"; and set skip (math $n + 2)
    set -g __rc_after $all[$skip..-1]
    set -g __rc_words $words
    __restate_cli_node ''
    set -l gflags $__rc_flags
    set -l gvopts $__rc_vopts
    set -l gsrc $__rc_optsrc
    set -l cmdpath ''
    set -l valopt ''
    set -l ddash 0
    set -l npos 0
    set -l i 2
    while test $i -le $n
        set -l w $words[$i]
        if test $ddash = 0; and test "x$w" = x--
            set ddash 1
        else if test $ddash = 0; and string match -q -- '-?*' $w
            set -l vnames (string replace -r ':.*' '' -- $gvopts $__rc_vopts)
            if not string match -q -- '*=*' $w; and contains -- $w $vnames
                test $i -eq $n; and set valopt $w
                set i (math $i + 1)
            end
        else if test (count $__rc_cmds) -gt 0
            set -l name (__restate_cli_resolve $w); or return 0
            set cmdpath (string trim -- "$cmdpath $name")
            __restate_cli_node $cmdpath
        else
            set npos (math $npos + 1)
        end
        set i (math $i + 1)
    end
    if test -z "$valopt"; and test $ddash = 0; and string match -qr -- '^--[^=]+=' $__rc_cur
        set valopt (string replace -r '=.*' '' -- $__rc_cur)
        set __rc_prefix "$valopt="
        set __rc_cur (string replace -r '^[^=]*=' '' -- $__rc_cur)
    end
    if test -n "$valopt"
        set -l src (__restate_cli_lookup $valopt $gsrc $__rc_optsrc); and __restate_cli_offer $src
    else if test $ddash = 0; and string match -q -- '-*' $__rc_cur
        set -l opts $__rc_flags $__rc_vopts
        test -n "$cmdpath"; and set -a opts $gflags $gvopts
        string replace -r -- '^([^:]*):' '$1'\t $opts
    else if test (count $__rc_cmds) -gt 0
        string replace -r -- '^([^:]*):' '$1'\t $__rc_cmds
        for e in $__rc_aliases
            string replace -r -- '^([^:]*):(.*)$' '$1'\t'alias of $2' $e
        end
    else
        set -l slot $__rc_args[(math $npos + 1)]
        if test -z "$slot"; and string match -q -- '*+' "$__rc_args[-1]"
            set slot $__rc_args[-1]
        end
        set slot (string replace -r -- '\+$' '' "$slot")
        test -n "$slot"; and test "x$slot" != x-; and __restate_cli_offer $slot
    end
    return 0
end

complete -c restate-cli -e
complete -c restate-cli -f -a '(__restate_cli_complete)'
"""


def _list(items: list[str]) -> str:
    return " ".join(fish_quote(i) for i in items)


def _described(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{name}:{help}" if help else name for name, help in pairs]


def render(nodes: list[Node], sources: dict[Source, int]) -> str:
    names = (
        "__rc_cmds",
        "__rc_aliases",
        "__rc_hidden",
        "__rc_flags",
        "__rc_vopts",
        "__rc_optsrc",
        "__rc_args",
    )
    out = [
        HEADER,
        "# The facts of command node $argv[1] (its path: names joined by spaces).",
        "function __restate_cli_node",
    ]
    out += [f"    set -g {name}" for name in names]
    out.append('    switch "$argv[1]"')
    for node in nodes:
        out.append(f"        case {fish_quote(node.key)}")
        fields = {
            "__rc_cmds": _described(node.commands),
            "__rc_aliases": [f"{a}:{c}" for a, c in node.aliases],
            "__rc_hidden": [f"{a}:{c}" for a, c in node.hidden_aliases],
            "__rc_flags": _described(node.flags),
            "__rc_vopts": _described(node.value_options),
            "__rc_optsrc": [f"{name}:{src}" for name, src in node.option_sources],
            "__rc_args": node.arguments,
        }
        for var, items in fields.items():
            if items:
                out.append(f"            set {var} {_list(items)}")
    out += ["    end", "end", ""]
    out += ["# The values of source $argv[1].", "function __restate_cli_source"]
    out += [
        f"    set -g {name}" for name in ("__rc_values", "__rc_live", "__rc_envs", "__rc_files", "__rc_comma")
    ]
    out.append('    switch "$argv[1]"')
    for source, number in sources.items():
        out.append(f"        case {number}")
        if source.values:
            out.append(f"            set __rc_values {_list(list(source.values))}")
        if source.live:
            out.append(f"            set __rc_live {fish_quote(source.live)}")
        out += [f"            set __rc_{name} 1" for name in switches(source)]
    out += ["    end", "end"]
    return "\n".join(out) + "\n" + WALKER
