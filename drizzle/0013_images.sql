ALTER TABLE `deployments` ADD `build_output` text;--> statement-breakpoint
ALTER TABLE `stacks` ADD `pending_images` text;--> statement-breakpoint
ALTER TABLE `stacks` ADD `images_checked_at` integer;