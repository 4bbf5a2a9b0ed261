import Foundation
import MFPipe

/// The words after the command, split into positionals, repeatable options and flags.
///
/// Options take a value (`--set X=Y` or `--set=X=Y`); flags take none. Anything else
/// starting with `-` is a usage error naming the command's accepted options.
struct Arguments {
    private(set) var positionals: [String] = []
    private var options: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// Parses `words` for `command`, which accepts `optionNames` and `flagNames`.
    init(_ words: [String], command: String, optionNames: Set<String>, flagNames: Set<String>) throws {
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            guard word.hasPrefix("-") && word.count > 1 else {
                positionals.append(word)
                continue
            }
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            if flagNames.contains(name) && parts.count == 1 {
                flags.insert(name)
            } else if optionNames.contains(name) {
                if parts.count == 2 {
                    options[name, default: []].append(parts[1])
                } else {
                    guard index < words.count else { throw UsageError("\(command): \(name) needs a value") }
                    options[name, default: []].append(words[index])
                    index += 1
                }
            } else {
                let accepted = (optionNames.map { "\($0) VALUE" } + flagNames.sorted()).sorted().joined(separator: ", ")
                throw UsageError("\(command): unknown option \(word); expected \(accepted.isEmpty ? "no options" : accepted) (see mfpipe \(command) --help)")
            }
        }
    }

    /// Every value given for an option, in order.
    func values(_ name: String) -> [String] { options[name] ?? [] }
    /// The last value given for an option.
    func value(_ name: String) -> String? { options[name]?.last }
    /// Whether a flag was given.
    func has(_ flag: String) -> Bool { flags.contains(flag) }
    /// The files named by those of `options` that were given, each with its option, for `PathChecks`.
    func files(_ options: [String]) -> [PathChecks.NamedFile] {
        options.compactMap { option in value(option).map { (URL(fileURLWithPath: $0), option) } }
    }

    /// The one positional argument the command takes.
    func single(_ what: String, command: String) throws -> String {
        guard positionals.count == 1 else {
            throw UsageError("\(command): expected one \(what), found \(CountText.of(positionals.count, "argument")) (see mfpipe \(command) --help)")
        }
        return positionals[0]
    }

    /// An integer option's value, checked against a lower bound.
    func integer(_ name: String, command: String, atLeast minimum: Int) throws -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), number >= minimum else {
            throw UsageError("\(command): \(name) \(text): expected an integer ≥ \(minimum)")
        }
        return number
    }
}
