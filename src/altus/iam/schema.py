"""The ``iam`` schema: roles, users, groups and their members, the policies they hold,
customer managed policies with their versions, and users' renames whose access keys are
still to be moved (``iam_principal_renames``, ``altus.iam.users``)."""

from __future__ import annotations

from altus.store.database import Migration, Schema

SCHEMA = Schema(
    "iam",
    (
        Migration(
            """
        CREATE TABLE iam_roles (
            lower_name TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            id TEXT NOT NULL,
            path TEXT NOT NULL,
            trust TEXT NOT NULL,
            description TEXT NOT NULL,
            max_session INTEGER NOT NULL,
            tags TEXT NOT NULL,
            created_ms BIGINT NOT NULL
        )
        """
        ),
        Migration(
            """
        CREATE TABLE iam_role_policies (
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (role, name)
        );
        CREATE TABLE iam_role_attachments (
            role TEXT NOT NULL,
            policy_arn TEXT NOT NULL,
            PRIMARY KEY (role, policy_arn)
        )
        """
        ),
        Migration(
            """
        CREATE TABLE iam_users (
            lower_name TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            id TEXT NOT NULL,
            path TEXT NOT NULL,
            boundary TEXT NOT NULL,
            tags TEXT NOT NULL,
            created_ms BIGINT NOT NULL
        );
        CREATE TABLE iam_user_policies (
            user_name TEXT NOT NULL,
            name TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (user_name, name)
        );
        CREATE TABLE iam_user_attachments (
            user_name TEXT NOT NULL,
            policy_arn TEXT NOT NULL,
            PRIMARY KEY (user_name, policy_arn)
        );
        CREATE TABLE iam_policies (
            lower_name TEXT PRIMARY KEY,
            arn TEXT NOT NULL,
            name TEXT NOT NULL,
            id TEXT NOT NULL,
            path TEXT NOT NULL,
            description TEXT NOT NULL,
            default_version TEXT NOT NULL,
            next_version INTEGER NOT NULL,
            tags TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            updated_ms BIGINT NOT NULL
        );
        CREATE TABLE iam_policy_versions (
            policy TEXT NOT NULL,
            version TEXT NOT NULL,
            document TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            PRIMARY KEY (policy, version)
        );
        ALTER TABLE iam_roles ADD COLUMN boundary TEXT NOT NULL DEFAULT ''
        """
        ),
        Migration(
            """
        CREATE TABLE iam_groups (
            lower_name TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            id TEXT NOT NULL,
            path TEXT NOT NULL,
            created_ms BIGINT NOT NULL
        );
        CREATE TABLE iam_group_members (
            group_name TEXT NOT NULL,
            user_name TEXT NOT NULL,
            PRIMARY KEY (group_name, user_name)
        );
        CREATE TABLE iam_group_policies (
            group_name TEXT NOT NULL,
            name TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (group_name, name)
        );
        CREATE TABLE iam_group_attachments (
            group_name TEXT NOT NULL,
            policy_arn TEXT NOT NULL,
            PRIMARY KEY (group_name, policy_arn)
        );
        CREATE TABLE iam_principal_renames (
            old_arn TEXT PRIMARY KEY,
            new_arn TEXT NOT NULL,
            seq BIGINT NOT NULL
        )
        """
        ),
    ),
)
