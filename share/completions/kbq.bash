# bash completion for kbq 0.2.0 (made from kbq's option table)
_kbq() {
    local cur prev
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    case "$prev" in
        -e|--eval) return ;;
        -f|--file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -p|--param) return ;;
        --format|-m|--mode) COMPREPLY=($(compgen -W "table box line markdown tsv csv json jsonl dot svg" -- "$cur")); return ;;
        --timeout) return ;;
        --memory-limit) return ;;
        --max-file-size) return ;;
        --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --rc) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -o|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --export) COMPREPLY=($(compgen -W "nt nt11 ttl kb" -- "$cur")); return ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "-e --eval -f --file -p --param --format -m --mode --no-header --noheader --header --keep-going --bail --timeout --memory-limit --max-file-size --color --empty --safe --rc --no-rc --no-cache --compile -o --output --verify --export --to-sparql -h --help -V --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -o filenames -F _kbq kbq
