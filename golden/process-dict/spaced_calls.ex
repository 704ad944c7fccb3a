defmodule Golden.ProcessDict.SpacedCalls do
  # Elixir accepts blanks, a line break or a comment around the dot of a remote call:
  # these are the same calls as without them (put/2, get/1 and delete/1 of Process).
  def put(value), do: Process .put(:spaced, value)

  def get do
    Process.
      get(:spaced)
  end

  def delete do
    Process # the dictionary
    .delete(:spaced)
  end
end
