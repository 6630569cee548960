ALTER TABLE `repositories` ADD `drift` text;--> statement-breakpoint
ALTER TABLE `repositories` ADD `drift_checked_at` integer;