# Checks Elixir source files with the real Elixir compiler, in one BEAM for the whole run.
# Usage: elixir check.exs MODE MANIFEST
#   MODE: "parse" (Code.string_to_quoted) or "compile" (parse, then Code.compile_string and
#   purge the modules it defined). MANIFEST: one absolute path per line.
# Prints one line per file: "OK\t<index>" or "ERR\t<index>\t<message on one line>".
[mode, manifest] = System.argv()

one_line = fn text -> text |> to_string() |> String.replace(~r/\s+/, " ") |> String.trim() end

manifest
|> File.read!()
|> String.split("\n", trim: true)
|> Enum.with_index()
|> Enum.each(fn {path, index} ->
  result =
    try do
      source = File.read!(path)

      case Code.string_to_quoted(source, file: path, columns: true) do
        {:ok, _} when mode == "parse" ->
          :ok

        {:ok, _} ->
          modules = Code.compile_string(source, path)

          for {module, _} <- modules do
            :code.purge(module)
            :code.delete(module)
          end

          :ok

        {:error, {meta, message, token}} ->
          line = if is_list(meta), do: Keyword.get(meta, :line, 0), else: meta
          message = if is_binary(message), do: message, else: inspect(message)
          {:error, "line #{line}: #{message}#{token}"}
      end
    rescue
      exception -> {:error, Exception.message(exception)}
    catch
      kind, reason -> {:error, "#{kind}: #{inspect(reason)}"}
    end

  case result do
    :ok -> IO.puts("OK\t#{index}")
    {:error, message} -> IO.puts("ERR\t#{index}\t#{one_line.(message)}")
  end
end)
