#!/bin/sh
echo "$GREETING from berth-build: $(cat /app/built), uid $(id -u), cwd $(pwd)"
