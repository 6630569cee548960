ALTER TABLE `repositories` ADD `auth_kind` text;--> statement-breakpoint
ALTER TABLE `repositories` ADD `auth_secret` text;--> statement-breakpoint
ALTER TABLE `repositories` ADD `token_env` text;--> statement-breakpoint
ALTER TABLE `repositories` ADD `auth_key_fingerprint` text;--> statement-breakpoint
ALTER TABLE `repositories` ADD `known_hosts` text;