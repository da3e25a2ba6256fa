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
    set -l names (string replace -r ':.*' '' -- $__restate_cli_cmds)
    if contains -- $w $names
        echo $w
        return 0
    end
    __restate_cli_lookup $w $__restate_cli_aliases $__restate_cli_hidden; and return 0
    set -l found
    for e in $names $__restate_cli_aliases $__restate_cli_hidden
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
    if test -n "$__restate_cli_comma"; and string match -q -- '*,*' $__restate_cli_cur
        set head (string replace -r '[^,]*$' '' -- $__restate_cli_cur)
    end
    set -l found $__restate_cli_values
    test -n "$__restate_cli_envs"; and set -a found (__restate_cli_environments)
    for v in $found
        printf '%s\n' "$__restate_cli_prefix$head$v"
    end
    if test -n "$__restate_cli_files"
        __fish_complete_path $__restate_cli_cur | string replace -r -- '^' "$__restate_cli_prefix"
    end
    if test -n "$__restate_cli_live"
        set -l line $__restate_cli_words[2..-1] $__restate_cli_after
        command $__restate_cli_words[1] __complete $__restate_cli_live "$__restate_cli_cur" $line \
            2>/dev/null | string replace -r -- '^' "$__restate_cli_prefix"
    end
end

function __restate_cli_complete
    set -l words (commandline -opc)
    set -g __restate_cli_cur (commandline -ct)
    set -g __restate_cli_prefix ''
    set -l n (count $words)
    set -l all (commandline -o)
    set -l skip (math $n + 1)
    test -n "$__restate_cli_cur"; and set skip (math $n + 2)
    set -g __restate_cli_after $all[$skip..-1]
    set -g __restate_cli_words $words
    __restate_cli_node ''
    set -l gflags $__restate_cli_flags
    set -l gvopts $__restate_cli_vopts
    set -l gsrc $__restate_cli_optsrc
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
            set -l vnames (string replace -r ':.*' '' -- $gvopts $__restate_cli_vopts)
            if not string match -q -- '*=*' $w; and contains -- $w $vnames
                test $i -eq $n; and set valopt $w
                set i (math $i + 1)
            end
        else if test (count $__restate_cli_cmds) -gt 0
            set -l name (__restate_cli_resolve $w); or return 0
            set cmdpath (string trim -- "$cmdpath $name")
            __restate_cli_node $cmdpath
        else
            set npos (math $npos + 1)
        end
        set i (math $i + 1)
    end
    if test -z "$valopt"; and test $ddash = 0; and string match -qr -- '^--[^=]+=' $__restate_cli_cur
        set valopt (string replace -r '=.*' '' -- $__restate_cli_cur)
        set __restate_cli_prefix "$valopt="
        set __restate_cli_cur (string replace -r '^[^=]*=' '' -- $__restate_cli_cur)
    end
    if test -n "$valopt"
        set -l src (__restate_cli_lookup $valopt $gsrc $__restate_cli_optsrc); and __restate_cli_offer $src
    else if test $ddash = 0; and string match -q -- '-*' $__restate_cli_cur
        set -l opts $__restate_cli_flags $__restate_cli_vopts
        test -n "$cmdpath"; and set -a opts $gflags $gvopts
        string replace -r -- '^([^:]*):' '$1'\t $opts
    else if test (count $__restate_cli_cmds) -gt 0
        string replace -r -- '^([^:]*):' '$1'\t $__restate_cli_cmds
        for e in $__restate_cli_aliases
            string replace -r -- '^([^:]*):(.*)$' '$1'\t'alias of $2' $e
        end
    else
        set -l slot $__restate_cli_args[(math $npos + 1)]
        if test -z "$slot"; and string match -q -- '*+' "$__restate_cli_args[-1]"
            set slot $__restate_cli_args[-1]
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
        "__restate_cli_cmds",
        "__restate_cli_aliases",
        "__restate_cli_hidden",
        "__restate_cli_flags",
        "__restate_cli_vopts",
        "__restate_cli_optsrc",
        "__restate_cli_args",
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
            "__restate_cli_cmds": _described(node.commands),
            "__restate_cli_aliases": [f"{a}:{c}" for a, c in node.aliases],
            "__restate_cli_hidden": [f"{a}:{c}" for a, c in node.hidden_aliases],
            "__restate_cli_flags": _described(node.flags),
            "__restate_cli_vopts": _described(node.value_options),
            "__restate_cli_optsrc": [f"{name}:{src}" for name, src in node.option_sources],
            "__restate_cli_args": node.arguments,
        }
        for var, items in fields.items():
            if items:
                out.append(f"            set {var} {_list(items)}")
    out += ["    end", "end", ""]
    out += ["# The values of source $argv[1].", "function __restate_cli_source"]
    out += [
        f"    set -g {name}"
        for name in (
            "__restate_cli_values",
            "__restate_cli_live",
            "__restate_cli_envs",
            "__restate_cli_files",
            "__restate_cli_comma",
        )
    ]
    out.append('    switch "$argv[1]"')
    for source, number in sources.items():
        out.append(f"        case {number}")
        if source.values:
            out.append(f"            set __restate_cli_values {_list(list(source.values))}")
        if source.live:
            out.append(f"            set __restate_cli_live {fish_quote(source.live)}")
        out += [f"            set __restate_cli_{name} 1" for name in switches(source)]
    out += ["    end", "end"]
    return "\n".join(out) + "\n" + WALKER
