"""Red Cross chapters (Hội Chữ thập đỏ): the tree every donor, drive and ceremony belongs to."""
