#!/usr/bin/env bash
# One-shot job of deploy/compose (service mongo-init): initiates the replica set rs0 of mongo1, mongo2, mongo3 and
# creates the users — root, one per service with readWrite on its own database only, and backup (for mongodump and
# mongorestore). It runs in mongo1's network namespace: on a fresh set MongoDB's localhost exception lets it
# initiate the set and create the first user. Run again, it changes nothing but the passwords (taken from the
# secrets again, so a password is rotated by changing its secret file and running this job).
set -euo pipefail

secret() { tr -d '\r\n' < "/run/secrets/$1"; }
ROOT_PASSWORD=$(secret mongo_root_password)
export ROOT_PASSWORD

until mongosh --quiet --host 127.0.0.1 --eval 'db.adminCommand("ping").ok' >/dev/null 2>&1; do
  echo "waiting for mongo1"; sleep 2
done

# Authenticated when the root user exists already (a second run), otherwise through the localhost exception.
auth=()
AUTHENTICATED=0
if mongosh --quiet --host 127.0.0.1 -u root -p "$ROOT_PASSWORD" --authenticationDatabase admin \
  --eval 'db.adminCommand("ping").ok' >/dev/null 2>&1; then
  auth=(-u root -p "$ROOT_PASSWORD" --authenticationDatabase admin)
  AUTHENTICATED=1
fi
export AUTHENTICATED

mongosh --quiet --host 127.0.0.1 "${auth[@]}" --eval '
  if (!db.hello().setName) {
    rs.initiate({_id: "rs0", members: [
      {_id: 0, host: "mongo1:27017", priority: 2},
      {_id: 1, host: "mongo2:27017", priority: 1},
      {_id: 2, host: "mongo3:27017", priority: 1}]});
    print("replica set rs0 initiated");
  }
  for (let i = 0; i < 120 && !db.hello().isWritablePrimary; i++) { sleep(1000); }
  if (!db.hello().isWritablePrimary) { throw new Error("mongo1 did not become primary"); }
  // Unauthenticated means no user exists yet (the localhost exception allows creating the first one, and only
  // that): a root whose password no longer matches its secret makes createUser fail, as it should.
  if (process.env.AUTHENTICATED !== "1") {
    db.getSiblingDB("admin").createUser({user: "root", pwd: process.env.ROOT_PASSWORD, roles: ["root"]});
    print("user root created");
  }
'
auth=(-u root -p "$ROOT_PASSWORD" --authenticationDatabase admin)

# One user per service, each with readWrite on its own database only; backup for mongodump and mongorestore.
ensure_user() {
  local user=$1 password=$2 roles=$3
  USER_NAME=$user USER_PASSWORD=$password USER_ROLES=$roles mongosh --quiet --host 127.0.0.1 "${auth[@]}" --eval '
    const admin = db.getSiblingDB("admin");
    const u = process.env.USER_NAME, pwd = process.env.USER_PASSWORD, roles = JSON.parse(process.env.USER_ROLES);
    if (admin.getUser(u)) { admin.updateUser(u, {pwd: pwd, roles: roles}); print("user " + u + " updated"); }
    else { admin.createUser({user: u, pwd: pwd, roles: roles}); print("user " + u + " created"); }
  '
}
for svc in identity beneficiaries decisions payments; do
  ensure_user "$svc" "$(secret "mongo_password_$svc")" "[{\"role\":\"readWrite\",\"db\":\"entraide_$svc\"}]"
done
ensure_user web "$(secret mongo_password_web)" '[{"role":"readWrite","db":"entraide"}]'
ensure_user backup "$(secret mongo_backup_password)" '[{"role":"backup","db":"admin"},{"role":"restore","db":"admin"}]'
echo "mongo-init done"
