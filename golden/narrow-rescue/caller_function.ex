defmodule Golden.NarrowRescue.CallerFunction do
  require Logger

  # A circuit breaker runs whatever the caller hands it: catching everything is the point.
  def call(fun) do
    try do
      {:ok, fun.()}
    rescue
      e -> {:error, e}
    end
  end

  def notify(handlers, event) do
    Enum.each(handlers, fn handler ->
      try do
        handler.(event)
      rescue
        e -> Logger.error("handler failed: #{Exception.message(e)}")
      end
    end)
  end

  def dispatch(m, f, args) do
    apply(m, f, args)
  rescue
    _ -> :error
  end

  def check(module, arg) do
    module.healthy?(arg)
  rescue
    _ -> false
  end

  def each(items, callback) do
    Enum.map(items, callback)
  rescue
    _ -> []
  end

  def state_callback(state, x) do
    state.callback.(x)
  rescue
    _ -> nil
  end
end
