CREATE TABLE `deployments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repository_id` integer NOT NULL,
	`commit` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`error` text,
	`snapshot` text,
	`replaced_commit` text,
	`note` text,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deployments_repository_started` ON `deployments` (`repository_id`,"id" DESC);--> statement-breakpoint
CREATE TABLE `repositories` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`branch` text NOT NULL,
	`path` text DEFAULT '' NOT NULL,
	`interval_ms` integer,
	`created_at` integer NOT NULL,
	`remote_head` text,
	`remote_checked_at` integer,
	`last_error` text,
	`last_error_at` integer,
	`pinned_commit` text,
	`pin_reason` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repositories_name_unique` ON `repositories` (`name`);