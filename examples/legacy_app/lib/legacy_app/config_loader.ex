defmodule LegacyApp.ConfigLoader do
  @moduledoc "Loads runtime settings from a `key = value` file and reports on the session tracker."
  require Logger

  @doc "The listening port: `{:error, exception}` when it is missing or not a number."
  def port(settings) do
    settings |> Map.fetch!("port") |> String.to_integer()
  rescue
    e -> {:error, e}
  end

  @doc "Reads a settings file; an unreadable or malformed file means no settings."
  def read(path) do
    try do
      path |> File.read!() |> parse()
    rescue
      error ->
        Logger.warning("ignoring #{path}: #{Exception.message(error)}")
        %{}
    end
  end

  defp parse(text) do
    for line <- String.split(text, "\n", trim: true), into: %{} do
      [key, value] = String.split(line, "=", parts: 2)
      {String.trim(key), String.trim(value)}
    end
  end

  @doc "How many sessions the tracker holds (0 when it is down)."
  def tracked_sessions do
    LegacyApp.Sessions |> :sys.get_state() |> map_size()
  catch
    _kind, _reason -> 0
  end
end
