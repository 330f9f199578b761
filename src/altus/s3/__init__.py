"""S3-compatible object storage: buckets, objects on local disk, multipart uploads,
versioning, bucket policies and notifications (docs/s3.md)."""
