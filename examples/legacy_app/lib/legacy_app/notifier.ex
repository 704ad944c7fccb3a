defmodule LegacyApp.Notifier do
  @moduledoc "Sends notifications to users; legacy code from before the app had a task supervisor."

  # raw-spawn: fire-and-forget work outside any supervisor.
  def notify_all(users, message) do
    Enum.each(users, fn user -> spawn(fn -> deliver(user, message) end) end)
  end

  # process-dict: the current locale travels through the process dictionary.
  def with_locale(locale, fun) do
    Process.put(:notifier_locale, locale)
    fun.()
  end

  def deliver(user, message) do
    locale = Process.get(:notifier_locale, "en")
    {:delivered, user, locale, message}
  end

  # raw-send: a fallback send after a failed GenServer.call reports success for a
  # request that may have been delivered (or lost).
  def push(server, event) do
    GenServer.call(server, {:push, event}, 1_000)
  catch
    :exit, _ ->
      send(server, {:push, event})
      :ok
  end
end
