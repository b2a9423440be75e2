import { Help, type Command, type Option } from 'commander';

/**
 * Makes the help of `cmd`, and of the commands added to it afterwards (commander hands the help
 * configuration down as they are made), say which options are required: commander enforces a
 * `requiredOption` but its help lists it as it lists any other.
 */
export function markRequiredOptions(cmd: Command): Command {
  return cmd.configureHelp({
    optionDescription(this: Help, option: Option): string {
      const text = Help.prototype.optionDescription.call(this, option);
      return option.mandatory ? `${text} (required)` : text;
    },
  });
}
