#!/usr/bin/env bash
# Uploads the published experiment's three reference objects (0.2 MB, 4.4 MB and 13.8 MB,
# random bytes) to BUCKET as object-200000, object-4400000 and object-13800000.
#
#     deploy/upload-objects.sh BUCKET
#
# Needs the AWS CLI and credentials for the account deploy/template.yaml was deployed to.
set -euo pipefail
bucket=${1:?usage: deploy/upload-objects.sh BUCKET}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for size in 200000 4400000 13800000; do
    head -c "$size" /dev/urandom > "$dir/object-$size"
    aws s3 cp --content-type application/octet-stream "$dir/object-$size" "s3://$bucket/object-$size"
done
echo "uploaded object-200000, object-4400000 and object-13800000 to s3://$bucket"
