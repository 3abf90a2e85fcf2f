#!/usr/bin/env bash
# The backup job of deploy/compose (service `backup`, profile tools): a consistent dump of the whole replica set
# (mongodump --oplog, read from a secondary) into ENTRAIDE_BACKUP_DIR, or its restore. MongoDB is Entraide's
# system of record — the events waiting to be published are in the outboxes of its documents — so this dump is
# the whole backup; Kafka is not backed up (see deploy/README.md, "Restore").
#   backup.sh dump                 -> /backups/entraide-<UTC time>.archive.gz
#   backup.sh restore <file name>  (services stopped first; users and the admin database are not restored)
set -euo pipefail
umask 077
hosts=mongo1:27017,mongo2:27017,mongo3:27017
# The connection string holds the password: given through a config file, not the command line. The dump runs as
# the backup user; the restore as root (replaying the oplog needs more than the restore role).
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
connect() { # connect USER SECRET
  printf 'uri: "mongodb://%s:%s@%s/?replicaSet=rs0&authSource=admin"\n' "$1" "$(tr -d '\r\n' < "/run/secrets/$2")" "$hosts" > "$cfg"
}

case "${1:-dump}" in
  dump)
    connect backup mongo_backup_password
    file=/backups/entraide-$(date -u +%Y%m%dT%H%M%SZ).archive.gz
    mongodump --config="$cfg" --readPreference=secondaryPreferred --oplog --gzip --archive="$file"
    echo "backup written: $file ($(du -h "$file" | cut -f1))"
    ;;
  restore)
    [ -n "${2:-}" ] || { echo "usage: backup.sh restore <file in the backup directory>" >&2; exit 2; }
    file=/backups/$(basename "$2")
    [ -s "$file" ] || { echo "$file: no such backup" >&2; exit 2; }
    connect root mongo_root_password
    # --drop replaces each collection by the dump's; the users stay those of mongo-init (current secrets).
    mongorestore --config="$cfg" --drop --oplogReplay --gzip --archive="$file" \
      --nsExclude='admin.*' --nsExclude='config.*'
    echo "restored from $file"
    ;;
  *)
    echo "usage: backup.sh dump | restore <file>" >&2; exit 2 ;;
esac
