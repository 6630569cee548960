CREATE TABLE `notification_channels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`url` text NOT NULL,
	`display` text NOT NULL,
	`events` text,
	`repository_id` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `deployments` ADD `reason` text;--> statement-breakpoint
ALTER TABLE `deployments` ADD `hooks` text;--> statement-breakpoint
ALTER TABLE `repositories` ADD `allow_hooks` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `repositories` ADD `commit_status` text;--> statement-breakpoint
ALTER TABLE `repositories` ADD `commit_status_api` text;