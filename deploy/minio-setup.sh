#!/bin/sh
# One-shot MinIO bootstrap for docker-compose (the `minio-setup` service, minio/mc image).
#
# The application must not hold MinIO's root credentials: they can create and delete users,
# buckets and policies. This script, run with the root credentials, creates the bucket, a policy
# that allows object operations on that bucket only, and an application user holding just that
# policy. The application then signs its requests (and its presigned URLs) as that user.
#
# Safe to run on every `docker compose up`: each step leaves an existing bucket, policy or user
# as it should be (the user's secret is set to the current value).
set -eu

: "${MINIO_ROOT_USER:?set MINIO_ROOT_USER}"
: "${MINIO_ROOT_PASSWORD:?set MINIO_ROOT_PASSWORD}"
: "${BUCKET:?set SKILLS_S3_BUCKET}"
: "${APP_ACCESS_KEY:?set SKILLS_S3_ACCESS_KEY_ID}"
: "${APP_SECRET_KEY:?set SKILLS_S3_SECRET_ACCESS_KEY}"
POLICY="${POLICY_NAME:-skills-app}"

if [ "$APP_ACCESS_KEY" = "$MINIO_ROOT_USER" ]; then
    echo "SKILLS_S3_ACCESS_KEY_ID must differ from MINIO_ROOT_USER (the application gets its own user)" >&2
    exit 1
fi

mc alias set root http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "root/$BUCKET"

# Bucket-level calls (HeadBucket, ListObjectsV2) on the bucket ARN, object calls (uploads
# including multipart and presigned POST, reads, deletes) on its keys; nothing else.
policy_file=/tmp/skills-app-policy.json
printf '%s\n' '{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      "Resource": ["arn:aws:s3:::'"$BUCKET"'"]
    },
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts"
      ],
      "Resource": ["arn:aws:s3:::'"$BUCKET"'/*"]
    }
  ]
}' >"$policy_file"
mc admin policy create root "$POLICY" "$policy_file"

mc admin user add root "$APP_ACCESS_KEY" "$APP_SECRET_KEY"
# MinIO refuses to attach a policy twice ("The specified policy change is already in effect.")
if ! out=$(mc admin policy attach root "$POLICY" --user "$APP_ACCESS_KEY" 2>&1); then
    case "$out" in
        *"already in effect"*) echo "policy $POLICY already attached to the application user" ;;
        *) echo "$out" >&2; exit 1 ;;
    esac
fi
echo "bucket $BUCKET and its application user are ready"
