#!/bin/sh
# Run by lb with the new role: MASTER, BACKUP or FAULT. lb moves the VIP itself; use this for
# what else must follow the role (a cloud API call, a routing announcement, a page). It runs in
# the background with a 10 s deadline, and its exit status is logged.
role=$1
logger -t lb-notify "this instance is now $role"
