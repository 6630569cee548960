CREATE TABLE `locks` (
	`name` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`process_start` text NOT NULL,
	`purpose` text NOT NULL,
	`acquired_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `deployments` ADD `project` text;--> statement-breakpoint
ALTER TABLE `deployments` ADD `interrupted` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `repositories` ADD `pending_commit` text;--> statement-breakpoint
ALTER TABLE `repositories` ADD `pending_changes` text;