defmodule Golden.NarrowRescue.Reraise do
  require Logger

  def logged(map) do
    Map.fetch!(map, :key)
  rescue
    e ->
      Logger.error("lookup failed: #{Exception.message(e)}")
      reraise e, __STACKTRACE__
  end

  def instrumented(map) do
    try do
      Map.fetch!(map, :key)
    rescue
      e ->
        :telemetry.execute([:app, :lookup, :error], %{count: 1}, %{error: e})
        raise e
    end
  end

  def wrapped(text) do
    String.to_integer(text)
  rescue
    _ -> raise ArgumentError, "not a number: #{inspect(text)}"
  end

  def erlang_raise(map) do
    try do
      Map.fetch!(map, :key)
    rescue
      e -> :erlang.raise(:error, e, __STACKTRACE__)
    end
  end

  def via_helper(map) do
    Map.fetch!(map, :key)
  rescue
    e -> report_and_reraise(e, __STACKTRACE__)
  end

  defp report_and_reraise(e, stacktrace) do
    Logger.error("lookup failed: #{Exception.message(e)}")
    reraise e, stacktrace
  end
end
