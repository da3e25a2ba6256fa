"""The zsh completion script: an autoloadable ``_restate-cli`` that also works when sourced."""

from __future__ import annotations

from restate_cli.completion.generate import Node, posix_quote, switches
from restate_cli.completion.values import Source

HEADER = """\
#compdef restate-cli
# zsh completion for restate-cli
# Generated from the command tree by `restate-cli completions generate zsh`: regenerate, do not edit.
# Enable: `restate-cli completions install zsh`, or put this file, named _restate-cli, in a
# directory of $fpath before `compinit` runs.
"""

WALKER = r"""
# Look up $1 among the "key:value" words that follow; REPLY is the value.
_restate-cli_lookup() {
  local key=$1 e
  shift
  REPLY=
  for e in "$@"; do
    if [[ ${e%:*} == "$key" ]]; then
      REPLY=${e##*:}
      return 0
    fi
  done
  return 1
}

# The subcommand that word $1 names in the current node: a command, an alias, a hidden
# alias, or an unambiguous prefix of any of them. REPLY is the command's name.
_restate-cli_resolve() {
  local w=$1 e found=
  local -a names
  names=(${_rc_cmds%%:*})
  REPLY=
  if (( ${names[(Ie)$w]} )); then
    REPLY=$w
    return 0
  fi
  _restate-cli_lookup "$w" $_rc_aliases $_rc_hidden && return 0
  for e in $names $_rc_aliases $_rc_hidden; do
    [[ ${e%%:*} == "$w"* ]] || continue
    [[ -n $found && $found != ${e##*:} ]] && return 1
    found=${e##*:}
  done
  REPLY=$found
  [[ -n $REPLY ]]
}

# The environments of the config file (and the built-in `local`), into reply.
_restate-cli_environments() {
  local file=${RESTATE_CLI_CONFIG:-${RESTATE_CLI_CONFIG_HOME:-$HOME/.config/restate}/config.toml}
  local line re='^[[:space:]]*\[[[:space:]]*"?([A-Za-z0-9_-]+)"?[[:space:]]*\][[:space:]]*(#.*)?$'
  local -a match mbegin mend
  reply=(local)
  [[ -r $file ]] || return 0
  for line in "${(@f)$(<$file)}"; do
    [[ $line =~ $re ]] || continue
    [[ $match[1] == (default|global|local) ]] || reply+=($match[1])
  done
}

# Offer the values of source $1.
_restate-cli_offer() {
  local line v d exe
  local -a plain slashed found assigns reply
  _restate-cli_source $1
  if [[ -n $_rc_live ]]; then
    exe=${words[1]/#\~/$HOME}
    # Variables set on the line (VAR=value restate-cli ...) choose the server too.
    for v in ${(z)BUFFER}; do
      [[ $v == [A-Za-z_][A-Za-z0-9_]#=* ]] || break
      assigns+=(${(Q)v})
    done
    for line in "${(@f)$(command env $assigns "$exe" __complete "$_rc_live" "${(Q)PREFIX}" \
        "${(@Q)words[2,CURRENT-1]}" "${(@Q)words[CURRENT+1,-1]}" 2>/dev/null)}"; do
      [[ -n $line ]] || continue
      v=${line%%$'\t'*} d=${line#*$'\t'}
      [[ $line == *$'\t'* ]] || d=
      v=${v//:/\\:}
      [[ -n $d ]] && v+=:$d
      if [[ $line == */$'\t'* || $line == */ ]]; then slashed+=($v); else plain+=($v); fi
    done
  fi
  [[ -n $_rc_comma ]] && compset -P '*,'
  found=($_rc_values)
  if [[ -n $_rc_envs ]]; then
    _restate-cli_environments
    found+=($reply)
  fi
  (( $#found )) && compadd -a found
  [[ -n $_rc_files ]] && _files
  (( $#slashed )) && _describe -t values value slashed -S ''
  (( $#plain )) && _describe -t values value plain
  return 0
}

_restate-cli() {
  local -a _rc_cmds _rc_aliases _rc_hidden _rc_flags _rc_vopts _rc_optsrc _rc_args _rc_values
  local -a gflags gvopts gsrc opts cmds vnames
  local _rc_live _rc_envs _rc_files _rc_comma REPLY cmdpath= w valopt= slot= e
  integer i=2 npos=0 ddash=0
  _restate-cli_node ''
  gflags=($_rc_flags) gvopts=($_rc_vopts) gsrc=($_rc_optsrc)
  while (( i < CURRENT )); do
    w=${(Q)words[i]}
    if (( ! ddash )) && [[ $w == -- ]]; then
      ddash=1
    elif (( ! ddash )) && [[ $w == -?* ]]; then
      vnames=(${gvopts%%:*} ${_rc_vopts%%:*})
      if [[ $w != *=* ]] && (( ${vnames[(Ie)$w]} )); then
        (( i + 1 == CURRENT )) && valopt=$w
        (( i += 1 ))
      fi
    elif (( $#_rc_cmds )); then
      _restate-cli_resolve "$w" || return 1
      cmdpath=${cmdpath:+$cmdpath }$REPLY
      _restate-cli_node "$cmdpath"
    else
      (( npos += 1 ))
    fi
    (( i += 1 ))
  done
  if [[ -z $valopt ]] && (( ! ddash )) && [[ $PREFIX == --?*=* ]]; then
    valopt=${PREFIX%%=*}
    compset -P '*='
  fi
  if [[ -n $valopt ]]; then
    _restate-cli_lookup "$valopt" $gsrc $_rc_optsrc && _restate-cli_offer $REPLY
  elif (( ! ddash )) && [[ $PREFIX == -* ]]; then
    [[ -n $cmdpath ]] && opts=($gflags $gvopts)
    opts+=($_rc_flags $_rc_vopts)
    _describe -t options option opts
  elif (( $#_rc_cmds )); then
    cmds=($_rc_cmds)
    for e in $_rc_aliases; do cmds+=("${e%%:*}:alias of ${e##*:}"); done
    _describe -t commands command cmds
  else
    slot=${_rc_args[npos+1]-}
    [[ -z $slot && ${_rc_args[-1]-} == *+ ]] && slot=${_rc_args[-1]}
    slot=${slot%+}
    [[ -n $slot && $slot != - ]] && _restate-cli_offer $slot
  fi
  return 0
}

if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
  _restate-cli "$@"
else
  compdef _restate-cli restate-cli
fi
"""


def _array(items: list[str]) -> str:
    return "(" + " ".join(posix_quote(i) for i in items) + ")"


def _described(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{name}:{help}" if help else name for name, help in pairs]


def render(nodes: list[Node], sources: dict[Source, int]) -> str:
    out = [
        HEADER,
        "# The facts of command node $1 (its path: names joined by spaces).",
        "_restate-cli_node() {",
    ]
    out.append(
        "  _rc_cmds=() _rc_aliases=() _rc_hidden=() _rc_flags=() _rc_vopts=() _rc_optsrc=() _rc_args=()"
    )
    out.append("  case $1 in")
    for node in nodes:
        out.append(f"  ({posix_quote(node.key)})")
        fields = {
            "_rc_cmds": _described(node.commands),
            "_rc_aliases": [f"{a}:{c}" for a, c in node.aliases],
            "_rc_hidden": [f"{a}:{c}" for a, c in node.hidden_aliases],
            "_rc_flags": _described(node.flags),
            "_rc_vopts": _described(node.value_options),
            "_rc_optsrc": [f"{name}:{src}" for name, src in node.option_sources],
            "_rc_args": node.arguments,
        }
        for var, items in fields.items():
            if items:
                out.append(f"    {var}={_array(items)}")
        out.append("    ;;")
    out += ["  esac", "}", ""]
    out += ["# The values of source $1.", "_restate-cli_source() {"]
    out.append("  _rc_values=() _rc_live= _rc_envs= _rc_files= _rc_comma=")
    out.append("  case $1 in")
    for source, number in sources.items():
        sets = []
        if source.values:
            sets.append(f"_rc_values={_array(list(source.values))}")
        if source.live:
            sets.append(f"_rc_live={posix_quote(source.live)}")
        sets += [f"_rc_{name}=1" for name in switches(source)]
        out.append(f"  ({number}) {' '.join(sets)} ;;")
    out += ["  esac", "}"]
    return "\n".join(out) + "\n" + WALKER
