# Source this file (`. scripts/load-dotenv.sh`) to export the variables of ./.env
# that are not already set, like dotenvy does: the environment wins over .env.
# Lines are KEY=VALUE (an `export ` prefix and shell quoting are accepted);
# blank lines and # comments are skipped.
if [ -f .env ]; then
    while IFS= read -r __line || [ -n "$__line" ]; do
        __line="${__line#"${__line%%[![:space:]]*}"}"
        case "$__line" in '' | '#'*) continue ;; esac
        __line="${__line#export }"
        __key="${__line%%=*}"
        [[ "$__key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
        if [ -z "${!__key+x}" ]; then
            eval "export $__line"
        fi
    done < .env
    unset __line __key
fi
