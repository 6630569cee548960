CREATE TABLE `engines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`host` text,
	`context` text,
	`docker_config` text,
	`tls_secret` text,
	`tls_summary` text,
	`ssh_key` text,
	`ssh_key_fingerprint` text,
	`known_hosts` text,
	`identity` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `engines_name_unique` ON `engines` (`name`);--> statement-breakpoint
ALTER TABLE `deployments` ADD `engine_id` integer REFERENCES engines(id);--> statement-breakpoint
ALTER TABLE `repositories` ADD `engine_id` integer REFERENCES engines(id);--> statement-breakpoint
ALTER TABLE `stacks` ADD `engine_id` integer REFERENCES engines(id);