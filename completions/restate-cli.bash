# bash completion for restate-cli
# Generated from the command tree by `restate-cli completions generate bash`: regenerate, do not edit.
# Enable: `restate-cli completions install bash` (needs the bash-completion package),
# or `source` this file from ~/.bashrc.

# The facts of command node $1 (its path: names joined by spaces).
_restate_cli_node() {
    _rc_cmds= _rc_aliases= _rc_hidden= _rc_flags= _rc_vopts= _rc_optsrc= _rc_args=
    case $1 in
    '')
        _rc_cmds='invocations services state sql deployments subscriptions kafka-clusters dev config whoami completions'
        _rc_aliases='dp:deployments inv:invocations kc:kafka-clusters sub:subscriptions svc:services'
        _rc_hidden='conf:config kafkacluster:kafka-clusters kafkaclusters:kafka-clusters kv:state subscription:subscriptions'
        _rc_flags='--insecure-skip-tls-verify -y --yes --json -q --quiet -v --verbose -V --version -h --help'
        _rc_vopts='--admin-url -e --environment --connect-timeout --request-timeout -o --output --table-style --time-format'
        _rc_optsrc='-e:1 --environment:1 -o:2 --output:2 --table-style:3 --time-format:4'
        ;;
    'invocations')
        _rc_cmds='list describe tree cancel kill purge pause resume restart-as-new'
        _rc_aliases='get:describe ls:list restart:restart-as-new rm:purge'
        _rc_flags='-h --help'
        ;;
    'invocations list')
        _rc_flags='--zombie --virtual-objects-only --all --oldest-first -w --watch -h --help'
        _rc_vopts='--status --service --handler --key --deployment --dp --completion-result --limit -n --interval'
        _rc_optsrc='--status:5 --service:6 --handler:7 --key:8 --deployment:9 --dp:9 --completion-result:10'
        _rc_args='11'
        ;;
    'invocations describe')
        _rc_flags='-w --watch -h --help'
        _rc_vopts='-n --interval'
        _rc_args='12'
        ;;
    'invocations tree')
        _rc_flags='--subtree -w --watch -h --help'
        _rc_vopts='--depth -n --interval'
        _rc_args='12'
        ;;
    'invocations cancel')
        _rc_flags='--kill --zombie --dry-run -h --help'
        _rc_vopts='--status --service --handler --key --deployment --dp --created-before --older-than --limit --wait'
        _rc_optsrc='--status:5 --service:6 --handler:7 --key:8 --deployment:9 --dp:9'
        _rc_args='13'
        ;;
    'invocations kill')
        _rc_flags='--zombie --dry-run -h --help'
        _rc_vopts='--status --service --handler --key --deployment --dp --created-before --older-than --limit --wait'
        _rc_optsrc='--status:5 --service:6 --handler:7 --key:8 --deployment:9 --dp:9'
        _rc_args='13'
        ;;
    'invocations purge')
        _rc_flags='--zombie --dry-run -h --help'
        _rc_vopts='--status --service --handler --key --deployment --dp --created-before --older-than --limit'
        _rc_optsrc='--status:5 --service:6 --handler:7 --key:8 --deployment:9 --dp:9'
        _rc_args='14'
        ;;
    'invocations pause')
        _rc_flags='--zombie --dry-run -h --help'
        _rc_vopts='--status --service --handler --key --deployment --dp --created-before --older-than --limit'
        _rc_optsrc='--status:5 --service:6 --handler:7 --key:8 --deployment:9 --dp:9'
        _rc_args='15'
        ;;
    'invocations resume')
        _rc_flags='--zombie --dry-run -h --help'
        _rc_vopts='--deployment --status --service --handler --key --on-deployment --created-before --older-than --limit'
        _rc_optsrc='--deployment:16 --status:5 --service:6 --handler:7 --key:8 --on-deployment:9'
        _rc_args='17'
        ;;
    'invocations restart-as-new')
        _rc_flags='--zombie --dry-run -h --help'
        _rc_vopts='--status --service --handler --key --deployment --dp --created-before --older-than --limit'
        _rc_optsrc='--status:5 --service:6 --handler:7 --key:8 --deployment:9 --dp:9'
        _rc_args='14'
        ;;
    'services')
        _rc_cmds='list describe status config'
        _rc_aliases='get:describe ls:list'
        _rc_flags='-h --help'
        ;;
    'services list')
        _rc_flags='-h --help'
        ;;
    'services describe')
        _rc_flags='-h --help'
        _rc_args='6'
        ;;
    'services status')
        _rc_flags='-w --watch -h --help'
        _rc_vopts='-n --interval'
        _rc_args='6+'
        ;;
    'services config')
        _rc_cmds='view patch edit'
        _rc_aliases='get:view'
        _rc_flags='-h --help'
        ;;
    'services config view')
        _rc_flags='-h --help'
        _rc_args='6'
        ;;
    'services config patch')
        _rc_flags='-h --help'
        _rc_vopts='--public --idempotency-retention --workflow-completion-retention --journal-retention --inactivity-timeout --abort-timeout -f --from-file'
        _rc_optsrc='-f:18 --from-file:18'
        _rc_args='6'
        ;;
    'services config edit')
        _rc_flags='-h --help'
        _rc_args='6'
        ;;
    'state')
        _rc_cmds='get edit patch clear'
        _rc_flags='-h --help'
        ;;
    'state get')
        _rc_flags='--binary --bin -w --watch -h --help'
        _rc_vopts='-n --interval'
        _rc_args='19 20'
        ;;
    'state edit')
        _rc_flags='--binary --bin --force -h --help'
        _rc_vopts='--wait'
        _rc_args='19 20'
        ;;
    'state patch')
        _rc_flags='--binary --bin --force -h --help'
        _rc_vopts='--remove --wait'
        _rc_args='19 20 -+'
        ;;
    'state clear')
        _rc_flags='--force -h --help'
        _rc_vopts='--wait'
        _rc_args='19 20'
        ;;
    'sql')
        _rc_flags='--jsonl -w --watch -h --help'
        _rc_vopts='-n --interval'
        _rc_args='11'
        ;;
    'deployments')
        _rc_cmds='register list describe remove'
        _rc_aliases='add:register get:describe ls:list rm:remove'
        _rc_flags='-h --help'
        ;;
    'deployments register')
        _rc_flags='--force --use-http1.1 --dry-run -h --help'
        _rc_vopts='--header'
        _rc_args='-'
        ;;
    'deployments list')
        _rc_flags='-h --help'
        ;;
    'deployments describe')
        _rc_flags='-h --help'
        _rc_args='9'
        ;;
    'deployments remove')
        _rc_flags='--force -h --help'
        _rc_args='9'
        ;;
    'subscriptions')
        _rc_cmds='create list describe delete'
        _rc_aliases='get:describe ls:list rm:delete'
        _rc_hidden='register:create remove:delete'
        _rc_flags='-h --help'
        ;;
    'subscriptions create')
        _rc_flags='-h --help'
        _rc_vopts='-f --from-file'
        _rc_optsrc='-f:18 --from-file:18'
        _rc_args='21 22 -+'
        ;;
    'subscriptions list')
        _rc_flags='-h --help'
        _rc_vopts='--source --sink'
        _rc_optsrc='--source:21 --sink:22'
        ;;
    'subscriptions describe')
        _rc_flags='-h --help'
        _rc_args='23'
        ;;
    'subscriptions delete')
        _rc_flags='-h --help'
        _rc_args='23+'
        ;;
    'kafka-clusters')
        _rc_cmds='create list describe patch delete'
        _rc_aliases='get:describe ls:list rm:delete'
        _rc_hidden='register:create remove:delete'
        _rc_flags='-h --help'
        ;;
    'kafka-clusters create')
        _rc_flags='-h --help'
        _rc_vopts='-f --from-file'
        _rc_optsrc='-f:18 --from-file:18'
        _rc_args='- -+'
        ;;
    'kafka-clusters list')
        _rc_flags='-h --help'
        ;;
    'kafka-clusters describe')
        _rc_flags='-h --help'
        _rc_args='24'
        ;;
    'kafka-clusters patch')
        _rc_flags='-h --help'
        _rc_vopts='--set --unset -f --from-file'
        _rc_optsrc='-f:18 --from-file:18'
        _rc_args='24 -+'
        ;;
    'kafka-clusters delete')
        _rc_flags='--force -h --help'
        _rc_args='24'
        ;;
    'dev')
        _rc_flags='--random-ports --demo --reset -h --help'
        _rc_vopts='--admin-port --ingress-port --inactivity-timeout --abort-timeout'
        ;;
    'config')
        _rc_cmds='list-environments use-environment view edit'
        _rc_aliases='list-env:list-environments use-env:use-environment'
        _rc_flags='-h --help'
        ;;
    'config list-environments')
        _rc_flags='-h --help'
        ;;
    'config use-environment')
        _rc_flags='-h --help'
        _rc_args='1'
        ;;
    'config view')
        _rc_flags='-h --help'
        ;;
    'config edit')
        _rc_flags='-h --help'
        ;;
    'whoami')
        _rc_flags='-h --help'
        ;;
    'completions')
        _rc_cmds='generate install'
        _rc_flags='-h --help'
        ;;
    'completions generate')
        _rc_flags='-h --help'
        _rc_args='25'
        ;;
    'completions install')
        _rc_flags='-h --help'
        _rc_args='25'
        ;;
    esac
}

# The values of source $1.
_restate_cli_source() {
    _rc_values= _rc_live= _rc_envs= _rc_files= _rc_comma=
    case $1 in
    1) _rc_envs=1 ;;
    2) _rc_values='plain tsv markdown' ;;
    3) _rc_values='compact borders' ;;
    4) _rc_values='human iso8601 rfc2822' ;;
    5) _rc_values='pending scheduled ready running backing-off suspended paused completed' _rc_comma=1 ;;
    6) _rc_live='service' ;;
    7) _rc_live='handler' ;;
    8) _rc_live='key' ;;
    9) _rc_live='deployment' ;;
    10) _rc_values='success failure' ;;
    11) _rc_live='query' ;;
    12) _rc_live='invocation' ;;
    13) _rc_live='query:pending,scheduled,ready,running,backing-off,suspended,paused' ;;
    14) _rc_live='query:completed' ;;
    15) _rc_live='query:ready,running,backing-off,suspended' ;;
    16) _rc_values='latest keep' _rc_live='deployment' ;;
    17) _rc_live='query:ready,running,backing-off,suspended,paused' ;;
    18) _rc_files=1 ;;
    19) _rc_live='service:keyed' ;;
    20) _rc_live='state-key' ;;
    21) _rc_live='kafka-source' ;;
    22) _rc_live='sink' ;;
    23) _rc_live='subscription' ;;
    24) _rc_live='kafka-cluster' ;;
    25) _rc_values='bash zsh fish' ;;
    esac
}

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
