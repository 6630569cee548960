ALTER TABLE `repositories` ADD `webhook_secret_env` text;--> statement-breakpoint
ALTER TABLE `repositories` ADD `webhook_secret` text;