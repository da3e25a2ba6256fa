"""The bash completion script (for bash-completion 2; plain ``complete -F`` works too)."""

from __future__ import annotations

from restate_cli.completion.generate import Node, posix_quote, switches
from restate_cli.completion.values import Source

HEADER = """\
# bash completion for restate-cli
# Generated from the command tree by `restate-cli completions generate bash`: regenerate, do not edit.
# Enable: `restate-cli completions install bash` (needs the bash-completion package),
# or `source` this file from ~/.bashrc.
"""

WALKER = r"""
# Look up $1 in the "key:value ..." list $2; REPLY is the value.
_restate_cli_lookup() {
    local e
    REPLY=
    for e in $2; do
        if [[ ${e%:*} == "$1" ]]; then
            REPLY=${e##*:}
            return 0
        fi
    done
    return 1
}

# The subcommand that word $1 names in the current node: a command, an alias, a hidden
# alias, or an unambiguous prefix of any of them. REPLY is the command's name.
_restate_cli_resolve() {
    local e found=
    REPLY=
    for e in $_rc_cmds; do
        [[ $e == "$1" ]] && REPLY=$e && return 0
    done
    _restate_cli_lookup "$1" "$_rc_aliases $_rc_hidden" && return 0
    for e in $_rc_cmds $_rc_aliases $_rc_hidden; do
        [[ ${e%%:*} == "$1"* ]] || continue
        [[ -n $found && $found != "${e##*:}" ]] && return 1
        found=${e##*:}
    done
    REPLY=$found
    [[ -n $REPLY ]]
}

# The environments of the config file (and the built-in `local`), into _rc_found.
_restate_cli_environments() {
    local file=${RESTATE_CLI_CONFIG:-${RESTATE_CLI_CONFIG_HOME:-$HOME/.config/restate}/config.toml}
    local line name re='^[[:space:]]*\[[[:space:]]*"?([A-Za-z0-9_-]+)"?[[:space:]]*\][[:space:]]*(#.*)?$'
    _rc_found=(local)
    [[ -r $file ]] || return 0
    while IFS= read -r line || [[ -n $line ]]; do
        [[ $line =~ $re ]] || continue
        name=${BASH_REMATCH[1]}
        case $name in default | global | local) ;; *) _rc_found+=("$name") ;; esac
    done <"$file"
}

# Add the values of source $1 that complete $cur to COMPREPLY.
_restate_cli_offer() {
    local head= word=$cur v d exe
    _restate_cli_source "$1"
    if [[ -n $_rc_comma && $cur == *,* ]]; then
        head=${cur%,*},
        word=${cur##*,}
    fi
    _rc_found=()
    [[ -n $_rc_envs ]] && _restate_cli_environments
    for v in $_rc_values "${_rc_found[@]}"; do
        [[ $v == "$word"* ]] && COMPREPLY+=("$head$v")
    done
    if [[ -n $_rc_files ]]; then
        if declare -F _filedir >/dev/null; then
            _filedir
        else
            COMPREPLY+=($(compgen -f -- "$cur"))
        fi
    fi
    if [[ -n $_rc_live ]]; then
        exe=${words[0]/#\~/$HOME}
        while IFS=$'\t' read -r v d; do
            [[ -n $v && $v == "$cur"* ]] && COMPREPLY+=("$v")
        done < <(command "$exe" __complete "$_rc_live" "$cur" \
            "${words[@]:1:cword-1}" "${words[@]:cword+1}" 2>/dev/null)
    fi
}

_restate_cli() {
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        _init_completion -s -n : || return
    else
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        if [[ $prev == = && $cword -gt 1 ]]; then
            prev=${COMP_WORDS[COMP_CWORD - 2]} split=true
        fi
    fi
    local REPLY _rc_cmds _rc_aliases _rc_hidden _rc_flags _rc_vopts _rc_optsrc _rc_args
    local _rc_values _rc_live _rc_envs _rc_files _rc_comma _rc_found
    local cmdpath= w valopt= ddash= e
    local -i i=1 npos=0
    _restate_cli_node ''
    local gflags=$_rc_flags gvopts=$_rc_vopts gsrc=$_rc_optsrc
    while ((i < cword)); do
        w=${words[i]}
        if [[ -z $ddash && $w == -- ]]; then
            ddash=1
        elif [[ -z $ddash && $w == -?* ]]; then
            if [[ $w != *=* && " $gvopts $_rc_vopts " == *" $w "* ]]; then
                ((i + 1 == cword)) && valopt=$w
                i+=1
            fi
        elif [[ -n $_rc_cmds ]]; then
            _restate_cli_resolve "$w" || return 0
            cmdpath=${cmdpath:+$cmdpath }$REPLY
            _restate_cli_node "$cmdpath"
        else
            npos+=1
        fi
        i+=1
    done
    [[ $split == true ]] && valopt=$prev
    COMPREPLY=()
    if [[ -n $valopt ]]; then
        _restate_cli_lookup "$valopt" "$gsrc $_rc_optsrc" && _restate_cli_offer "$REPLY"
    elif [[ -z $ddash && $cur == -* ]]; then
        [[ -n $cmdpath ]] || gflags= gvopts=
        COMPREPLY=($(compgen -W "$gflags $gvopts $_rc_flags $_rc_vopts" -- "$cur"))
    elif [[ -n $_rc_cmds ]]; then
        for e in $_rc_aliases; do _rc_cmds+=" ${e%%:*}"; done
        COMPREPLY=($(compgen -W "$_rc_cmds" -- "$cur"))
    else
        local -a slots=($_rc_args)
        local slot=
        if ((npos < ${#slots[@]})); then
            slot=${slots[npos]}
        elif [[ ${slots[-1]-} == *+ ]]; then
            slot=${slots[-1]}
        fi
        slot=${slot%+}
        [[ -n $slot && $slot != - ]] && _restate_cli_offer "$slot"
    fi
    if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == */ ]]; then
        compopt -o nospace 2>/dev/null
    fi
    declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
    return 0
}

complete -F _restate_cli restate-cli
"""


def render(nodes: list[Node], sources: dict[Source, int]) -> str:
    out = [
        HEADER,
        "# The facts of command node $1 (its path: names joined by spaces).",
        "_restate_cli_node() {",
    ]
    out.append("    _rc_cmds= _rc_aliases= _rc_hidden= _rc_flags= _rc_vopts= _rc_optsrc= _rc_args=")
    out.append("    case $1 in")
    for node in nodes:
        out.append(f"    {posix_quote(node.key)})")
        fields = {
            "_rc_cmds": " ".join(name for name, _ in node.commands),
            "_rc_aliases": " ".join(f"{a}:{c}" for a, c in node.aliases),
            "_rc_hidden": " ".join(f"{a}:{c}" for a, c in node.hidden_aliases),
            "_rc_flags": " ".join(name for name, _ in node.flags),
            "_rc_vopts": " ".join(name for name, _ in node.value_options),
            "_rc_optsrc": " ".join(f"{name}:{src}" for name, src in node.option_sources),
            "_rc_args": " ".join(node.arguments),
        }
        for var, value in fields.items():
            if value:
                out.append(f"        {var}={posix_quote(value)}")
        out.append("        ;;")
    out += ["    esac", "}", ""]
    out += ["# The values of source $1.", "_restate_cli_source() {"]
    out.append("    _rc_values= _rc_live= _rc_envs= _rc_files= _rc_comma=")
    out.append("    case $1 in")
    for source, number in sources.items():
        sets = [f"_rc_{name}=1" for name in switches(source)]
        if source.values:
            sets.insert(0, f"_rc_values={posix_quote(' '.join(source.values))}")
        if source.live:
            sets.append(f"_rc_live={posix_quote(source.live)}")
        out.append(f"    {number}) {' '.join(sets)} ;;")
    out += ["    esac", "}"]
    return "\n".join(out) + "\n" + WALKER
