# fish completion for restate-cli
# Generated from the command tree by `restate-cli completions generate fish`: regenerate, do not edit.
# Enable: `restate-cli completions install fish`, or copy this file to
# ~/.config/fish/completions/restate-cli.fish.

# The facts of command node $argv[1] (its path: names joined by spaces).
function __restate_cli_node
    set -g __restate_cli_cmds
    set -g __restate_cli_aliases
    set -g __restate_cli_hidden
    set -g __restate_cli_flags
    set -g __restate_cli_vopts
    set -g __restate_cli_optsrc
    set -g __restate_cli_args
    switch "$argv[1]"
        case ''
            set __restate_cli_cmds 'invocations:List, inspect and manage invocations' 'services:List services, inspect them and their activity, and change their settings' 'state:Read and change the state of virtual objects and workflows' 'sql:Run a SQL query over the system tables (sys_invocation, sys_journal, state, ...)' 'deployments:Register and inspect the deployments that serve your services' 'subscriptions:Create, list, inspect and delete Kafka subscriptions' 'kafka-clusters:Register, list, inspect, change and delete Kafka clusters (restate-server 1.7+)' 'dev:Run the embedded Restate-compatible runtime (admin API and ingress on loopback)' 'config:List and choose environments, view and edit the config file (shared with the official CLI)' 'whoami:Show the environment, the admin and ingress URLs, the server and its admin API' 'completions:Shell completion scripts: subcommands, options, and live ids and names'
            set __restate_cli_aliases 'dp:deployments' 'inv:invocations' 'kc:kafka-clusters' 'sub:subscriptions' 'svc:services'
            set __restate_cli_hidden 'conf:config' 'kafkacluster:kafka-clusters' 'kafkaclusters:kafka-clusters' 'kv:state' 'subscription:subscriptions'
            set __restate_cli_flags '--insecure-skip-tls-verify:Do not check the server\'s TLS certificate' '-y:Answer yes to confirmations [env: CI]' '--yes:Answer yes to confirmations [env: CI]' '--json:Print JSON' '-q:Print only ids, one per line' '--quiet:Print only ids, one per line' '-v:Log requests to stderr (-vv for SQL)' '--verbose:Log requests to stderr (-vv for SQL)' '-V:Print the version and exit' '--version:Print the version and exit' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--admin-url:Admin API base URL [env: RESTATE_ADMIN_URL]' '-e:Environment from the config file [env: RESTATE_ENVIRONMENT]' '--environment:Environment from the config file [env: RESTATE_ENVIRONMENT]' '--connect-timeout:Connect timeout in ms [default: 3000]' '--request-timeout:Timeout of each request in ms [default: 13000]' '-o:Print a table in this format' '--output:Print a table in this format' '--table-style:Table style' '--time-format:How times and durations are shown'
            set __restate_cli_optsrc '-e:1' '--environment:1' '-o:2' '--output:2' '--table-style:3' '--time-format:4'
        case 'invocations'
            set __restate_cli_cmds 'list:List invocations (by default, those not completed)' 'describe:Show everything about one invocation, with its journal, parent and children' 'tree:Show the call tree an invocation belongs to, from its root, with this one marked' 'cancel:Cancel invocations and the calls they await; handlers may run compensations' 'kill:Kill invocations at once, without involving their handlers' 'purge:Delete completed invocations, with their journals and results' 'pause:Pause running or backing-off invocations (restate-server 1.6+)' 'resume:Resume paused invocations, or retry backing-off ones now' 'restart-as-new:Start completed invocations again, as new invocations with the same input'
            set __restate_cli_aliases 'get:describe' 'ls:list' 'restart:restart-as-new' 'rm:purge'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'invocations list'
            set __restate_cli_flags '--zombie:Only invocations pinned to a deployment that no longer exists' '--virtual-objects-only:Only virtual-object invocations' '--all:Include completed invocations' '--oldest-first:Oldest first (default: newest first)' '-w:Refresh continuously' '--watch:Refresh continuously' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--status:Only these statuses (pending, scheduled, ready, running, backing-off, suspended, paused, completed)' '--service:Only these services' '--handler:Only these handlers' '--key:Only these virtual-object or workflow keys' '--deployment:Only invocations on these deployments' '--dp:Only invocations on these deployments' '--completion-result:Only completed invocations with this result' '--limit:At most this many invocations' '-n:Seconds between refreshes in watch mode' '--interval:Seconds between refreshes in watch mode'
            set __restate_cli_optsrc '--status:5' '--service:6' '--handler:7' '--key:8' '--deployment:9' '--dp:9' '--completion-result:10'
            set __restate_cli_args '11'
        case 'invocations describe'
            set __restate_cli_flags '-w:Refresh continuously' '--watch:Refresh continuously' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '-n:Seconds between refreshes in watch mode' '--interval:Seconds between refreshes in watch mode'
            set __restate_cli_args '12'
        case 'invocations tree'
            set __restate_cli_flags '--subtree:Only the invocation and its descendants, not the whole tree' '-w:Refresh continuously' '--watch:Refresh continuously' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--depth:Show at most N levels below the invocation' '-n:Seconds between refreshes in watch mode' '--interval:Seconds between refreshes in watch mode'
            set __restate_cli_args '12'
        case 'invocations cancel'
            set __restate_cli_flags '--kill:Kill instead: stop at once, without running compensations' '--zombie:Only invocations pinned to a deployment that no longer exists' '--dry-run:Show what would be affected and change nothing' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--status:Only these statuses (among those the command acts on)' '--service:Only these services' '--handler:Only these handlers' '--key:Only these virtual-object or workflow keys' '--deployment:Only invocations on these deployments' '--dp:Only invocations on these deployments' '--created-before:Only invocations created before this time (ISO 8601, UTC unless a zone is given)' '--older-than:Only invocations created longer ago than this (10m, 2h, 1d)' '--limit:At most this many invocations are selected' '--wait:Afterwards, wait up to this many seconds for the invocations reached to end, then report what happened to each one (0: do not check)'
            set __restate_cli_optsrc '--status:5' '--service:6' '--handler:7' '--key:8' '--deployment:9' '--dp:9'
            set __restate_cli_args '13'
        case 'invocations kill'
            set __restate_cli_flags '--zombie:Only invocations pinned to a deployment that no longer exists' '--dry-run:Show what would be affected and change nothing' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--status:Only these statuses (among those the command acts on)' '--service:Only these services' '--handler:Only these handlers' '--key:Only these virtual-object or workflow keys' '--deployment:Only invocations on these deployments' '--dp:Only invocations on these deployments' '--created-before:Only invocations created before this time (ISO 8601, UTC unless a zone is given)' '--older-than:Only invocations created longer ago than this (10m, 2h, 1d)' '--limit:At most this many invocations are selected' '--wait:Afterwards, wait up to this many seconds for the invocations reached to end, then report what happened to each one (0: do not check)'
            set __restate_cli_optsrc '--status:5' '--service:6' '--handler:7' '--key:8' '--deployment:9' '--dp:9'
            set __restate_cli_args '13'
        case 'invocations purge'
            set __restate_cli_flags '--zombie:Only invocations pinned to a deployment that no longer exists' '--dry-run:Show what would be affected and change nothing' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--status:Only these statuses (among those the command acts on)' '--service:Only these services' '--handler:Only these handlers' '--key:Only these virtual-object or workflow keys' '--deployment:Only invocations on these deployments' '--dp:Only invocations on these deployments' '--created-before:Only invocations created before this time (ISO 8601, UTC unless a zone is given)' '--older-than:Only invocations created longer ago than this (10m, 2h, 1d)' '--limit:At most this many invocations are selected'
            set __restate_cli_optsrc '--status:5' '--service:6' '--handler:7' '--key:8' '--deployment:9' '--dp:9'
            set __restate_cli_args '14'
        case 'invocations pause'
            set __restate_cli_flags '--zombie:Only invocations pinned to a deployment that no longer exists' '--dry-run:Show what would be affected and change nothing' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--status:Only these statuses (among those the command acts on)' '--service:Only these services' '--handler:Only these handlers' '--key:Only these virtual-object or workflow keys' '--deployment:Only invocations on these deployments' '--dp:Only invocations on these deployments' '--created-before:Only invocations created before this time (ISO 8601, UTC unless a zone is given)' '--older-than:Only invocations created longer ago than this (10m, 2h, 1d)' '--limit:At most this many invocations are selected'
            set __restate_cli_optsrc '--status:5' '--service:6' '--handler:7' '--key:8' '--deployment:9' '--dp:9'
            set __restate_cli_args '15'
        case 'invocations resume'
            set __restate_cli_flags '--zombie:Only invocations pinned to a deployment that no longer exists' '--dry-run:Show what would be affected and change nothing' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--deployment:Resume on this deployment (default: the pinned one)' '--status:Only these statuses (among those the command acts on)' '--service:Only these services' '--handler:Only these handlers' '--key:Only these virtual-object or workflow keys' '--on-deployment:Only invocations on these deployments (list\'s --deployment)' '--created-before:Only invocations created before this time (ISO 8601, UTC unless a zone is given)' '--older-than:Only invocations created longer ago than this (10m, 2h, 1d)' '--limit:At most this many invocations are selected'
            set __restate_cli_optsrc '--deployment:16' '--status:5' '--service:6' '--handler:7' '--key:8' '--on-deployment:9'
            set __restate_cli_args '17'
        case 'invocations restart-as-new'
            set __restate_cli_flags '--zombie:Only invocations pinned to a deployment that no longer exists' '--dry-run:Show what would be affected and change nothing' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--status:Only these statuses (among those the command acts on)' '--service:Only these services' '--handler:Only these handlers' '--key:Only these virtual-object or workflow keys' '--deployment:Only invocations on these deployments' '--dp:Only invocations on these deployments' '--created-before:Only invocations created before this time (ISO 8601, UTC unless a zone is given)' '--older-than:Only invocations created longer ago than this (10m, 2h, 1d)' '--limit:At most this many invocations are selected'
            set __restate_cli_optsrc '--status:5' '--service:6' '--handler:7' '--key:8' '--deployment:9' '--dp:9'
            set __restate_cli_args '14'
        case 'services'
            set __restate_cli_cmds 'list:List the registered services, sorted by name' 'describe:Show a service: its deployment, handlers with their input and output, and settings' 'status:What the invocations of each handler are doing: how many are in each status (not' 'config:View and change a service\'s settings: visibility, retentions and timeouts'
            set __restate_cli_aliases 'get:describe' 'ls:list'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'services list'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'services describe'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '6'
        case 'services status'
            set __restate_cli_flags '-w:Refresh continuously' '--watch:Refresh continuously' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '-n:Seconds between refreshes in watch mode' '--interval:Seconds between refreshes in watch mode'
            set __restate_cli_args '6+'
        case 'services config'
            set __restate_cli_cmds 'view:Show a service\'s settings' 'patch:Change a service\'s settings, shown as a diff first' 'edit:Edit a service\'s settings in $EDITOR (a TOML file with the current values), then'
            set __restate_cli_aliases 'get:view'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'services config view'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '6'
        case 'services config patch'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--public:Whether the ingress may call it' '--idempotency-retention:Keep completed calls this long. A duration: 10m, 1h 30m, 2days or ISO 8601 (PT1H)' '--workflow-completion-retention:Keep completed workflow runs this long (workflows only)' '--journal-retention:Keep journals of completed invocations this long' '--inactivity-timeout:Ask an attempt without progress to suspend after' '--abort-timeout:Abort an attempt this long after that' '-f:Read the settings from FILE (TOML or JSON, keys as in `config view --json`; - for stdin); flags win over the file' '--from-file:Read the settings from FILE (TOML or JSON, keys as in `config view --json`; - for stdin); flags win over the file'
            set __restate_cli_optsrc '-f:18' '--from-file:18'
            set __restate_cli_args '6'
        case 'services config edit'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '6'
        case 'state'
            set __restate_cli_cmds 'get:Show the state of one key: JSON values as JSON, other text as text, bytes as base64' 'edit:Edit the state of one key in $EDITOR (a JSON object), then confirm the diff' 'patch:Set and remove entries of one key\'s state, keeping the others' 'clear:Remove all state of one key, or of every key of a virtual object or workflow'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'state get'
            set __restate_cli_flags '--binary:Show and take values as base64 (URL-safe), whatever they hold' '--bin:Show and take values as base64 (URL-safe), whatever they hold' '-w:Refresh continuously' '--watch:Refresh continuously' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '-n:Seconds between refreshes in watch mode' '--interval:Seconds between refreshes in watch mode'
            set __restate_cli_args '19' '20'
        case 'state edit'
            set __restate_cli_flags '--binary:Show and take values as base64 (URL-safe), whatever they hold' '--bin:Show and take values as base64 (URL-safe), whatever they hold' '--force:Write even if the state changed since it was read (overwrites that change)' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--wait:Seconds to wait for the server to apply the change before reporting it as queued'
            set __restate_cli_args '19' '20'
        case 'state patch'
            set __restate_cli_flags '--binary:VALUEs are base64 of the raw bytes' '--bin:VALUEs are base64 of the raw bytes' '--force:Write even if the state changed since it was read (overwrites that change)' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--remove:Remove the entry NAME' '--wait:Seconds to wait for the server to apply the change before reporting it as queued'
            set __restate_cli_args '19' '20' '-+'
        case 'state clear'
            set __restate_cli_flags '--force:Write even if the state changed since it was read (overwrites that change)' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--wait:Seconds to wait for the server to apply the change before reporting it as queued'
            set __restate_cli_args '19' '20'
        case 'sql'
            set __restate_cli_flags '--jsonl:Print one JSON object per row' '-w:Refresh continuously' '--watch:Refresh continuously' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '-n:Seconds between refreshes in watch mode' '--interval:Seconds between refreshes in watch mode'
            set __restate_cli_args '11'
        case 'deployments'
            set __restate_cli_cmds 'register:Discover a deployment\'s services and register them' 'list:List the registered deployments' 'describe:Show one deployment with its services and handlers' 'remove:Remove a deployment and its services (restate-server needs --force)'
            set __restate_cli_aliases 'add:register' 'get:describe' 'ls:list' 'rm:remove'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'deployments register'
            set __restate_cli_flags '--force:Update an already registered deployment' '--use-http1.1:Reach it over HTTP/1.1, not HTTP/2' '--dry-run:Discover and validate, register nothing' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--header:Extra header sent to it'
            set __restate_cli_args '-'
        case 'deployments list'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'deployments describe'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '9'
        case 'deployments remove'
            set __restate_cli_flags '--force:Remove it even though invocations may still need it' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '9'
        case 'subscriptions'
            set __restate_cli_cmds 'create:Subscribe a handler to a Kafka topic: each record becomes one invocation' 'list:List subscriptions, sorted by id' 'describe:Show a subscription: source, sink, brokers and every option (defaults marked)' 'delete:Delete subscriptions: their consumers stop, invocations already made are kept'
            set __restate_cli_aliases 'get:describe' 'ls:list' 'rm:delete'
            set __restate_cli_hidden 'register:create' 'remove:delete'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'subscriptions create'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '-f:Read source, sink and options from FILE: .properties, .conf, .env or - (stdin) as key=value lines with source= and sink=; any other file as TOML with source, sink and an [options] table' '--from-file:Read source, sink and options from FILE: .properties, .conf, .env or - (stdin) as key=value lines with source= and sink=; any other file as TOML with source, sink and an [options] table'
            set __restate_cli_optsrc '-f:18' '--from-file:18'
            set __restate_cli_args '21' '22' '-+'
        case 'subscriptions list'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--source:Only subscriptions with exactly this source' '--sink:Only subscriptions with exactly this sink'
            set __restate_cli_optsrc '--source:21' '--sink:22'
        case 'subscriptions describe'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '23'
        case 'subscriptions delete'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '23+'
        case 'kafka-clusters'
            set __restate_cli_cmds 'create:Register a Kafka cluster; it needs bootstrap.servers (or metadata.broker.list)' 'list:List Kafka clusters, sorted by name' 'describe:Show a Kafka cluster: brokers, properties and the subscriptions that use it' 'patch:Change a Kafka cluster\'s properties' 'delete:Delete a Kafka cluster. While subscriptions use it, the server refuses unless --force'
            set __restate_cli_aliases 'get:describe' 'ls:list' 'rm:delete'
            set __restate_cli_hidden 'register:create' 'remove:delete'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'kafka-clusters create'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '-f:Read properties from FILE: .properties, .conf, .env or - (stdin) as key=value lines; any other file as TOML with a [properties] table' '--from-file:Read properties from FILE: .properties, .conf, .env or - (stdin) as key=value lines; any other file as TOML with a [properties] table'
            set __restate_cli_optsrc '-f:18' '--from-file:18'
            set __restate_cli_args '-' '-+'
        case 'kafka-clusters list'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'kafka-clusters describe'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '24'
        case 'kafka-clusters patch'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--set:Set or change one property, keeping the others' '--unset:Remove one property' '-f:The complete new property set, from FILE' '--from-file:The complete new property set, from FILE'
            set __restate_cli_optsrc '-f:18' '--from-file:18'
            set __restate_cli_args '24' '-+'
        case 'kafka-clusters delete'
            set __restate_cli_flags '--force:Delete even while subscriptions use it (they are orphaned)' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '24'
        case 'dev'
            set __restate_cli_flags '--random-ports:Listen on free ports chosen by the system' '--demo:Also serve sample services, and send them traffic in every status once' '--reset:Start over from an empty store (asks first; with --demo, sends the traffic again)' '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_vopts '--admin-port:Admin API port (0: any free port)' '--ingress-port:Ingress port (0: any free port)'
        case 'config'
            set __restate_cli_cmds 'list-environments:List the environments of the config file, marking the current one' 'use-environment:Make NAME the current environment (written to the environment file)' 'view:Print the config file (tokens shown as ***); --json prints it parsed' 'edit:Edit the config file in $EDITOR; the change is checked (TOML) and shown before it is saved'
            set __restate_cli_aliases 'list-env:list-environments' 'use-env:use-environment'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'config list-environments'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'config use-environment'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '1'
        case 'config view'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'config edit'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'whoami'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'completions'
            set __restate_cli_cmds 'generate:Print the completion script for a shell' 'install:Write the completion script where the shell looks for it'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
        case 'completions generate'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '25'
        case 'completions install'
            set __restate_cli_flags '-h:Show this message and exit' '--help:Show this message and exit'
            set __restate_cli_args '25'
    end
end

# The values of source $argv[1].
function __restate_cli_source
    set -g __restate_cli_values
    set -g __restate_cli_live
    set -g __restate_cli_envs
    set -g __restate_cli_files
    set -g __restate_cli_comma
    switch "$argv[1]"
        case 1
            set __restate_cli_envs 1
        case 2
            set __restate_cli_values 'plain' 'tsv' 'markdown'
        case 3
            set __restate_cli_values 'compact' 'borders'
        case 4
            set __restate_cli_values 'human' 'iso8601' 'rfc2822'
        case 5
            set __restate_cli_values 'pending' 'scheduled' 'ready' 'running' 'backing-off' 'suspended' 'paused' 'completed'
            set __restate_cli_comma 1
        case 6
            set __restate_cli_live 'service'
        case 7
            set __restate_cli_live 'handler'
        case 8
            set __restate_cli_live 'key'
        case 9
            set __restate_cli_live 'deployment'
        case 10
            set __restate_cli_values 'success' 'failure'
        case 11
            set __restate_cli_live 'query'
        case 12
            set __restate_cli_live 'invocation'
        case 13
            set __restate_cli_live 'query:pending,scheduled,ready,running,backing-off,suspended,paused'
        case 14
            set __restate_cli_live 'query:completed'
        case 15
            set __restate_cli_live 'query:ready,running,backing-off,suspended'
        case 16
            set __restate_cli_values 'latest' 'keep'
            set __restate_cli_live 'deployment'
        case 17
            set __restate_cli_live 'query:ready,running,backing-off,suspended,paused'
        case 18
            set __restate_cli_files 1
        case 19
            set __restate_cli_live 'service:keyed'
        case 20
            set __restate_cli_live 'state-key'
        case 21
            set __restate_cli_live 'kafka-source'
        case 22
            set __restate_cli_live 'sink'
        case 23
            set __restate_cli_live 'subscription'
        case 24
            set __restate_cli_live 'kafka-cluster'
        case 25
            set __restate_cli_values 'bash' 'zsh' 'fish'
    end
end

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
