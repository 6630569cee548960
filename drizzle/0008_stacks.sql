CREATE TABLE `stacks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repository_id` integer NOT NULL,
	`name` text NOT NULL,
	`path` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`hold` text,
	`held_at` integer,
	`last_error` text,
	`last_error_at` integer,
	`pinned_commit` text,
	`pin_reason` text,
	`pinned_at_head` text,
	`unchanged_head` text,
	`pending_commit` text,
	`pending_changes` text,
	`drift` text,
	`drift_checked_at` integer,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `stacks_repository_name` ON `stacks` (`repository_id`,`name`);--> statement-breakpoint
-- Each registered repository held one stack: it becomes the repository's root stack, named after it, and takes its state.
INSERT INTO `stacks` (`repository_id`, `name`, `path`, `created_at`, `pinned_commit`, `pin_reason`, `pinned_at_head`, `pending_commit`, `pending_changes`, `drift`, `drift_checked_at`)
SELECT `id`, `name`, `path`, `created_at`, `pinned_commit`, `pin_reason`, `pinned_at_head`, `pending_commit`, `pending_changes`, `drift`, `drift_checked_at` FROM `repositories`;--> statement-breakpoint
-- SQLite cannot add a NOT NULL reference to a table with rows: the history is copied into a table that has it.
CREATE TABLE `__new_deployments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repository_id` integer NOT NULL,
	`stack_id` integer NOT NULL,
	`commit` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`error` text,
	`snapshot` text,
	`replaced_commit` text,
	`note` text,
	`project` text,
	`interrupted` integer DEFAULT false NOT NULL,
	`left_failed` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`stack_id`) REFERENCES `stacks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_deployments` (`id`, `repository_id`, `stack_id`, `commit`, `trigger`, `status`, `started_at`, `finished_at`, `error`, `snapshot`, `replaced_commit`, `note`, `project`, `interrupted`, `left_failed`)
SELECT `d`.`id`, `d`.`repository_id`, `s`.`id`, `d`.`commit`, `d`.`trigger`, `d`.`status`, `d`.`started_at`, `d`.`finished_at`, `d`.`error`, `d`.`snapshot`, `d`.`replaced_commit`, `d`.`note`, `d`.`project`, `d`.`interrupted`, `d`.`left_failed`
FROM `deployments` AS `d` JOIN `stacks` AS `s` ON `s`.`repository_id` = `d`.`repository_id`;--> statement-breakpoint
DROP TABLE `deployments`;--> statement-breakpoint
ALTER TABLE `__new_deployments` RENAME TO `deployments`;--> statement-breakpoint
CREATE INDEX `deployments_repository_started` ON `deployments` (`repository_id`,"id" DESC);--> statement-breakpoint
CREATE INDEX `deployments_stack_started` ON `deployments` (`stack_id`,"id" DESC);--> statement-breakpoint
ALTER TABLE `repositories` DROP COLUMN `pinned_commit`;--> statement-breakpoint
ALTER TABLE `repositories` DROP COLUMN `pin_reason`;--> statement-breakpoint
ALTER TABLE `repositories` DROP COLUMN `pinned_at_head`;--> statement-breakpoint
ALTER TABLE `repositories` DROP COLUMN `pending_commit`;--> statement-breakpoint
ALTER TABLE `repositories` DROP COLUMN `pending_changes`;--> statement-breakpoint
ALTER TABLE `repositories` DROP COLUMN `drift`;--> statement-breakpoint
ALTER TABLE `repositories` DROP COLUMN `drift_checked_at`;