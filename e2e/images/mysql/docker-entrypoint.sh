#!/bin/sh
# The entrypoint of our `mysql:latest` test image: what the official image does
# for the settings the walk-through uses. On the first start (no system tables
# yet) it initialises the data directory and has mysqld run, before it accepts
# connections, the SQL that sets the root password (for 'root'@'localhost' and
# 'root'@'%'), creates MYSQL_DATABASE, and MYSQL_USER with MYSQL_PASSWORD.
# It runs as root, like the official image's, so commands run with
# `kubectl exec` (the readiness probe's `mysql -ppass …`) log in as root;
# mysqld itself drops to the mysql user (--user). Only shell builtins are used:
# the image has no coreutils.
set -eu
MYSQLD=/usr/local/mysql/bin/mysqld
DATADIR=/var/lib/mysql
COMMON="--no-defaults --user=mysql --basedir=/usr/local/mysql --datadir=$DATADIR"

# $1 with every occurrence of $2 doubled (SQL quoting inside '…' or `…`).
double() {
  rest=$1 out=
  while :; do
    case $rest in
      *"$2"*) out="$out${rest%%"$2"*}$2$2"; rest=${rest#*"$2"} ;;
      *) break ;;
    esac
  done
  printf '%s%s' "$out" "$rest"
}
literal() { printf "'%s'" "$(double "$(double "$1" '\')" "'")"; }
identifier() { printf '`%s`' "$(double "$1" '`')"; }

if [ "${1:-}" != "" ] && [ "${1#-}" = "$1" ]; then
  exec "$@" # a command, not mysqld options
fi

INIT=/var/lib/mysql-first-start/init.sql
if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "${MYSQL_ROOT_PASSWORD:-}" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ]; then
    echo >&2 "error: database is uninitialized and password option is not specified"
    echo >&2 "  You need to specify one of MYSQL_ROOT_PASSWORD or MYSQL_ALLOW_EMPTY_PASSWORD"
    exit 1
  fi
  echo >&2 "[Entrypoint] Initializing database files"
  # shellcheck disable=SC2086
  "$MYSQLD" $COMMON --initialize-insecure
  # mysqld reads this as the mysql user; its folder (mysql's, mode 700) keeps others out.
  umask 022
  {
    password=$(literal "${MYSQL_ROOT_PASSWORD:-}")
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $password;"
    echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY $password;"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "${MYSQL_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS $(identifier "$MYSQL_DATABASE");"
    fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      echo "CREATE USER IF NOT EXISTS $(literal "$MYSQL_USER")@'%' IDENTIFIED BY $(literal "$MYSQL_PASSWORD");"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        echo "GRANT ALL ON $(identifier "$MYSQL_DATABASE").* TO $(literal "$MYSQL_USER")@'%';"
      fi
    fi
  } >"$INIT"
  echo >&2 "[Entrypoint] Database files initialized; starting mysqld"
fi
# Every start of this container runs the (idempotent) first-start SQL again: a
# restart between --initialize and that SQL must not leave root without a password.
if [ -s "$INIT" ]; then
  set -- "--init-file=$INIT" "$@"
fi

# shellcheck disable=SC2086
exec "$MYSQLD" $COMMON --socket=/run/mysqld/mysqld.sock --port=3306 --mysqlx=OFF "$@"
